{{ config(materialized='incremental', unique_key=['store_id','product_id','balance_date'], event_time='balance_date', lookback='3 days') }}

-- End-of-day stock per store, product and day, from the first event of the
-- pair to the last day with data. The balance is the running sum of every
-- event up to the day's end, so a late event (within the 3-day lookback)
-- restates the days after it on the next build.
with daily as (
    select
        store_id,
        product_id,
        event_date                                                                  as balance_date,
        sum(quantity_delta)                                                         as net_change_units,
        sum(case when event_type = 'receipt' then quantity_delta else 0 end)        as received_units,
        sum(case when event_type = 'sale' then -quantity_delta else 0 end)          as sold_units,
        sum(case when event_type = 'return' then quantity_delta else 0 end)         as returned_units,
        sum(case when event_type = 'adjustment' then quantity_delta else 0 end)     as adjusted_units,
        sum(case when event_type in ('transfer_in', 'transfer_out')
                 then quantity_delta else 0 end)                                    as transferred_units,
        count(*)                                                                    as event_count,
        max(_loaded_at)                                                             as last_loaded_at
    from {{ ref('stg_inventory_events') }}
    group by store_id, product_id, event_date
),
pairs as (
    select store_id, product_id, min(balance_date) as first_date
    from daily
    group by store_id, product_id
),
spine as (
    select p.store_id, p.product_id, d.date_day as balance_date
    from pairs as p
    join {{ ref('dim_date') }} as d
        on d.date_day >= p.first_date
       and d.date_day <= (select max(balance_date) from daily)
),
positions as (
    select
        s.store_id,
        s.product_id,
        s.balance_date,
        coalesce(d.net_change_units, 0)     as net_change_units,
        coalesce(d.received_units, 0)       as received_units,
        coalesce(d.sold_units, 0)           as sold_units,
        coalesce(d.returned_units, 0)       as returned_units,
        coalesce(d.adjusted_units, 0)       as adjusted_units,
        coalesce(d.transferred_units, 0)    as transferred_units,
        coalesce(d.event_count, 0)          as event_count,
        d.last_loaded_at,
        sum(coalesce(d.net_change_units, 0)) over (
            partition by s.store_id, s.product_id
            order by s.balance_date
            rows between unbounded preceding and current row
        )                                   as closing_units
    from spine as s
    left join daily as d
        on  d.store_id = s.store_id
        and d.product_id = s.product_id
        and d.balance_date = s.balance_date
)
select
    pos.store_id,
    pos.product_id,
    pos.balance_date,
    pos.closing_units - pos.net_change_units        as opening_units,
    pos.received_units,
    pos.sold_units,
    pos.returned_units,
    pos.adjusted_units,
    pos.transferred_units,
    pos.net_change_units,
    pos.closing_units,
    pos.closing_units = 0                           as is_stocked_out,
    pos.closing_units * pr.unit_cost                as closing_value,
    pos.event_count,
    pos.last_loaded_at
from positions as pos
left join {{ ref('stg_prices') }} as pr
    on  pr.product_id = pos.product_id
    and cast(pos.balance_date as timestamp) + interval '1 day' > pr.valid_from
    and cast(pos.balance_date as timestamp) + interval '1 day' <= pr.valid_to
