-- One row per day covering all sales and inventory events, with the
-- trading calendar (seeds/holidays.csv).
with bounds as (
    -- one scan of each source
    select min(first_day) as first_day, max(last_day) as last_day
    from (
        select min(sale_date) as first_day, max(sale_date) as last_day from {{ ref('stg_pos_transactions') }}
        union all
        select min(event_date), max(event_date) from {{ ref('stg_inventory_events') }}
    ) as d
),
days as (
    select cast(r.range as date) as date_day
    from bounds,
         range(cast(bounds.first_day as timestamp), cast(bounds.last_day as timestamp) + interval '1 day', interval '1 day') as r
)
select
    days.date_day,
    extract(year from days.date_day)                        as year_number,
    extract(quarter from days.date_day)                     as quarter_number,
    extract(month from days.date_day)                       as month_number,
    monthname(days.date_day)                                as month_name,
    cast(date_trunc('month', days.date_day) as date)        as month_start,
    cast(date_trunc('week', days.date_day) as date)         as week_start,
    extract(isodow from days.date_day)                      as iso_day_of_week,
    dayname(days.date_day)                                  as day_name,
    extract(isodow from days.date_day) in (6, 7)            as is_weekend,
    h.holiday_date is not null                              as is_holiday,
    h.holiday_name,
    coalesce(h.stores_closed, false)                        as stores_closed,
    coalesce(h.is_peak_trading, false)                      as is_peak_trading
from days
left join {{ ref('holidays') }} as h
    on cast(h.holiday_date as date) = days.date_day
