{{ config(materialized='incremental', unique_key=['store_id','product_id','balance_date'], incremental_strategy='delete+insert') }}

-- End-of-day stock per store, product and day, from the first event of the
-- pair to the last day with data. The balance is the running sum of every
-- event up to the day's end, so a late event (within the 3-day lookback)
-- restates the days after it on the next build.
--
-- The lookback is written here rather than as event_time/lookback configs:
-- with those, Kiln's full build would reduce the 182 M rows of the full-scale
-- history by key and sort them by date, which costs more than computing
-- them. A build replaces (delete+insert) the rows it selects; the keys are
-- unique by construction.
--
-- The running sum is taken over the days with events only (sparse: about a
-- sixth of the store x product x day grid), and each of those rows is then
-- spread over the days until the pair's next change (joined to a list of
-- day offsets): no window runs over the dense grid. An incremental build starts
-- from the balances already in the table on the day before the lookback
-- window and adds the window's events, so it reads a few days of events
-- instead of the whole history.
with
{% if is_incremental() %}
window_start as (
    -- the lookback: the first day rebuilt is 3 days before the newest balance
    select cast(max(balance_date) - interval '3 days' as date) as start_date
    from {{ this }}
),
{% endif %}
daily as (
    select
        store_id,
        product_id,
        event_date                                                                      as balance_date,
        cast(sum(quantity_delta) as bigint)                                             as net_change_units,
        cast(sum(case when event_type = 'receipt' then quantity_delta else 0 end) as bigint)    as received_units,
        cast(sum(case when event_type = 'sale' then -quantity_delta else 0 end) as bigint)      as sold_units,
        cast(sum(case when event_type = 'return' then quantity_delta else 0 end) as bigint)     as returned_units,
        cast(sum(case when event_type = 'adjustment' then quantity_delta else 0 end) as bigint) as adjusted_units,
        cast(sum(case when event_type in ('transfer_in', 'transfer_out')
                      then quantity_delta else 0 end) as bigint)                        as transferred_units,
        count(*)                                                                        as event_count,
        max(_loaded_at)                                                                 as last_loaded_at
    from {{ ref('stg_inventory_events') }}
{% if is_incremental() %}
    where event_at >= (select cast(start_date as timestamp) from window_start)
{% endif %}
    group by store_id, product_id, event_date
),
last_day as (
    -- the day after the last day with data: every pair's balances run up to it
    select cast(max(balance_date) + interval '1 day' as date) as end_date
    from daily
),
changes as (
    select * from daily
{% if is_incremental() %}
    union all
    -- each pair's balance at the end of the day before the window, carried
    -- in as that day's change
    select
        t.store_id, t.product_id, t.balance_date,
        t.closing_units as net_change_units,
        0, 0, 0, 0, 0, 0,
        cast(null as timestamp)
    from {{ this }} as t
    join window_start as w
        on t.balance_date = cast(w.start_date - interval '1 day' as date)
{% endif %}
),
balances as (
    select
        c.*,
        cast(sum(c.net_change_units) over (
            partition by c.store_id, c.product_id
            order by c.balance_date
            rows between unbounded preceding and current row
        ) as bigint)                                                                as closing_units,
        datediff('day', c.balance_date, coalesce(
            lead(c.balance_date) over (partition by c.store_id, c.product_id order by c.balance_date),
            l.end_date
        ))                                                                          as days_held
    from changes as c
    cross join last_day as l
),
day_offsets as (
    -- 0, 1, 2, ...: the days a balance is held after its change
    select cast(row_number() over (order by date_day) - 1 as integer) as day_offset
    from {{ ref('dim_date') }}
),
unit_cost as (
    -- unit cost per product and day: the price in effect at the day's end
    select pr.product_id, d.date_day, pr.unit_cost
    from {{ ref('dim_date') }} as d
    join {{ ref('stg_prices') }} as pr
        on  cast(d.date_day as timestamp) + interval '1 day' > pr.valid_from
        and cast(d.date_day as timestamp) + interval '1 day' <= pr.valid_to
{% if is_incremental() %}
    where d.date_day >= (select start_date from window_start)
{% endif %}
),
positions as (
    -- a change day's row holds that day's flows; the days after it until
    -- the next change carry its closing balance with no flows (a join on
    -- one inequality, so its cost follows the rows it makes)
    select
        b.store_id,
        b.product_id,
        b.balance_date + o.day_offset                                               as balance_date,
        o.day_offset = 0                                                            as is_change_day,
        b.net_change_units,
        b.received_units,
        b.sold_units,
        b.returned_units,
        b.adjusted_units,
        b.transferred_units,
        b.event_count,
        b.last_loaded_at,
        b.closing_units
    from balances as b
    join day_offsets as o
        on o.day_offset < b.days_held
{% if is_incremental() %}
    where b.balance_date + o.day_offset >= (select start_date from window_start)
{% endif %}
)
select
    pos.store_id,
    pos.product_id,
    pos.balance_date,
    pos.closing_units - case when pos.is_change_day then pos.net_change_units else 0 end
                                                                        as opening_units,
    case when pos.is_change_day then pos.received_units else 0 end      as received_units,
    case when pos.is_change_day then pos.sold_units else 0 end          as sold_units,
    case when pos.is_change_day then pos.returned_units else 0 end      as returned_units,
    case when pos.is_change_day then pos.adjusted_units else 0 end      as adjusted_units,
    case when pos.is_change_day then pos.transferred_units else 0 end   as transferred_units,
    case when pos.is_change_day then pos.net_change_units else 0 end    as net_change_units,
    pos.closing_units,
    pos.closing_units = 0                                               as is_stocked_out,
    pos.closing_units * uc.unit_cost                                    as closing_value,
    case when pos.is_change_day then pos.event_count else 0 end         as event_count,
    case when pos.is_change_day then pos.last_loaded_at end             as last_loaded_at
from positions as pos
left join unit_cost as uc
    on  uc.product_id = pos.product_id
    and uc.date_day = pos.balance_date
-- rows in date order, so the readers of recent days (the next build, the
-- marts) skip the older row groups by their min/max
order by pos.balance_date
