-- Days of cover per store and product: stock at the latest end of day over
-- the average daily units sold in the last {{ var('velocity_window_days', 14) }} days,
-- against the reorder point of the current assortment. A product delisted at
-- the store is selling through, not at risk.
with as_of as (
    select max(balance_date) as as_of_date from {{ ref('fact_inventory_positions') }}
),
latest as (
    select *
    from {{ ref('fact_inventory_positions') }}
    where balance_date = (select as_of_date from as_of)
),
velocity as (
    select f.store_id, f.product_id, sum(f.quantity) as units_sold
    from {{ ref('fact_sales') }} as f, as_of
    where f.transaction_type = 'sale'
      and f.sale_date >  cast(as_of.as_of_date - interval '{{ var("velocity_window_days", 14) }} days' as date)
      and f.sale_date <= as_of.as_of_date
    group by f.store_id, f.product_id
),
cover as (
    select
        l.store_id,
        l.product_id,
        p.category,
        l.balance_date                                                        as as_of_date,
        l.closing_units                                                       as units_on_hand,
        coalesce(v.units_sold, 0)                                             as units_sold_window,
        coalesce(v.units_sold, 0) * 1.0 / {{ var('velocity_window_days', 14) }} as avg_daily_units
    from latest as l
    left join velocity as v on v.store_id = l.store_id and v.product_id = l.product_id
    left join {{ ref('stg_product_master') }} as p on p.product_id = l.product_id
)
select
    c.store_id || '|' || c.product_id                                 as stockout_risk_key,
    c.*,
    c.units_on_hand / nullif(c.avg_daily_units, 0)                    as days_of_cover,
    a.assortment_key is not null                                      as is_listed,
    a.reorder_point,
    a.safety_stock,
    a.replenishment_mode,
    c.units_on_hand <= a.reorder_point                                as is_below_reorder_point,
    case
        when a.assortment_key is null then 'delisted'
        when c.units_on_hand <= 0 then 'stocked_out'
        when c.avg_daily_units = 0 then 'no_recent_sales'
        when c.units_on_hand / c.avg_daily_units < 3 then 'critical'
        when c.units_on_hand / c.avg_daily_units < 7 then 'at_risk'
        else 'healthy'
    end                                                               as risk_band
from cover as c
left join {{ ref('dim_store_assortment') }} as a
    on a.store_id = c.store_id and a.product_id = c.product_id
