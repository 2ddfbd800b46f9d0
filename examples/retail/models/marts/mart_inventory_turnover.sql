{{ config(materialized='incremental', unique_key='turnover_key') }}

-- Month x store x category: cost of goods sold over average inventory value.
--
-- Incremental by month: a build recomputes the months from the earliest
-- one that can have changed since the mart's last build, and Kiln merges
-- them on turnover_key. fact_inventory_positions restates the 3 days before
-- its newest balance (its lookback), so balances change from 3 days before
-- the mart's last_balance_date on; sale lines change on the days of the
-- lines that arrived since the mart's newest arrival (last_loaded_at).
with
{% if is_incremental() %}
restate as (
    select cast(date_trunc('month', least(
        (select max(last_balance_date) from {{ this }}) - interval '3 days',
        coalesce(
            (select cast(min(sale_date) as timestamp) from {{ ref('fact_sales') }}
             where _loaded_at >= (select max(last_loaded_at) from {{ this }})),
            cast('9999-12-31' as timestamp)
        )
    )) as date) as from_month
),
{% endif %}
inventory as (
    select
        i.store_id,
        p.category,
        i.balance_date,
        sum(i.closing_value)  as inventory_value,
        sum(i.closing_units)  as inventory_units
    from {{ ref('fact_inventory_positions') }} as i
    join {{ ref('stg_product_master') }} as p on p.product_id = i.product_id
{% if is_incremental() %}
    where i.balance_date >= (select from_month from restate)
{% endif %}
    group by i.store_id, p.category, i.balance_date
),
inventory_month as (
    select
        store_id,
        category,
        cast(date_trunc('month', balance_date) as date)   as month_start,
        avg(inventory_value)                              as avg_inventory_value,
        avg(inventory_units)                              as avg_inventory_units,
        count(*)                                          as days_measured,
        max(balance_date)                                 as last_balance_date
    from inventory
    group by store_id, category, cast(date_trunc('month', balance_date) as date)
),
cogs as (
    select
        store_id,
        category,
        cast(date_trunc('month', sale_date) as date)      as month_start,
        sum(cost_amount)                                  as cogs_amount,
        sum(quantity)                                     as net_units_sold,
        max(_loaded_at)                                   as last_loaded_at
    from {{ ref('fact_sales') }}
{% if is_incremental() %}
    where sale_date >= (select from_month from restate)
{% endif %}
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
    i.avg_inventory_value / nullif(coalesce(c.cogs_amount, 0) / i.days_measured, 0) as days_inventory_outstanding,
    i.last_balance_date,
    c.last_loaded_at
from inventory_month as i
left join cogs as c
    on c.store_id = i.store_id and c.category = i.category and c.month_start = i.month_start
