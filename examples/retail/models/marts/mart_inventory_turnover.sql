-- Month x store x category: cost of goods sold over average inventory value.
with inventory as (
    select
        i.store_id,
        p.category,
        i.balance_date,
        sum(i.closing_value)  as inventory_value,
        sum(i.closing_units)  as inventory_units
    from {{ ref('fact_inventory_positions') }} as i
    join {{ ref('stg_product_master') }} as p on p.product_id = i.product_id
    group by i.store_id, p.category, i.balance_date
),
inventory_month as (
    select
        store_id,
        category,
        cast(date_trunc('month', balance_date) as date)   as month_start,
        avg(inventory_value)                              as avg_inventory_value,
        avg(inventory_units)                              as avg_inventory_units,
        count(*)                                          as days_measured
    from inventory
    group by store_id, category, cast(date_trunc('month', balance_date) as date)
),
cogs as (
    select
        store_id,
        category,
        cast(date_trunc('month', sale_date) as date)      as month_start,
        sum(cost_amount)                                  as cogs_amount,
        sum(quantity)                                     as net_units_sold
    from {{ ref('fact_sales') }}
    group by store_id, category, cast(date_trunc('month', sale_date) as date)
)
select
    cast(i.month_start as varchar) || '|' || i.store_id || '|' || i.category      as turnover_key,
    i.month_start,
    i.store_id,
    i.category,
    i.days_measured,
    coalesce(c.cogs_amount, 0)                                                     as cogs_amount,
    coalesce(c.net_units_sold, 0)                                                  as net_units_sold,
    i.avg_inventory_value,
    i.avg_inventory_units,
    coalesce(c.cogs_amount, 0) / nullif(i.avg_inventory_value, 0)                  as turnover_ratio,
    coalesce(c.cogs_amount, 0) / nullif(i.avg_inventory_value, 0) * 365.0 / i.days_measured
                                                                                   as annualized_turnover,
    i.avg_inventory_value / nullif(coalesce(c.cogs_amount, 0) / i.days_measured, 0) as days_inventory_outstanding
from inventory_month as i
left join cogs as c
    on c.store_id = i.store_id and c.category = i.category and c.month_start = i.month_start
