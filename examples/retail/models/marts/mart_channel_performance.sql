{{ config(materialized='incremental', unique_key='channel_day_key') }}

-- Channel x day, with web sessions and conversion for the digital channels.
--
-- Incremental by day: a build recomputes, from all their lines and
-- sessions, only the days that received a sale line or a web session since
-- the mart's newest arrival of each (last_loaded_at, sessions_loaded_at),
-- and the days of the sessions that converted into a line that arrived;
-- Kiln merges those rows on channel_day_key.
with
{% if is_incremental() %}
marks as (
    select max(last_loaded_at) as lines_mark, max(sessions_loaded_at) as sessions_mark
    from {{ this }}
),
new_lines as (
    select f.sale_id, f.sale_date
    from {{ ref('fact_sales') }} as f, marks
    where f._loaded_at >= marks.lines_mark
),
changed_days as (
    select sale_date as day from new_lines
    union
    select w.session_date from {{ ref('stg_web_sessions') }} as w, marks
    where w._loaded_at >= marks.sessions_mark
    union
    select w.session_date from {{ ref('stg_web_sessions') }} as w
    join new_lines as n on n.sale_id = w.sale_id
),
{% endif %}
sales as (
    select
        channel,
        sale_date,
        count(distinct case when transaction_type = 'sale' then sale_id end)       as orders,
        count(distinct case when transaction_type = 'sale' then customer_id end)   as customers,
        sum(case when transaction_type = 'sale' then quantity else 0 end)          as units_sold,
        sum(net_amount)                                                            as net_revenue,
        sum(margin_amount)                                                         as margin_amount,
        sum(case when transaction_type = 'return' then -net_amount else 0 end)     as returns_amount,
        max(_loaded_at)                                                            as last_loaded_at
    from {{ ref('fact_sales') }}
{% if is_incremental() %}
    where sale_date in (select day from changed_days)
{% endif %}
    group by channel, sale_date
),
sessions as (
    select *
    from {{ ref('stg_web_sessions') }}
{% if is_incremental() %}
    where session_date in (select day from changed_days)
{% endif %}
),
converted as (
    -- a session converts in the channel of the sale it carries (any line of it)
    select f.channel, w.session_date, count(distinct w.session_id) as converted_sessions
    from sessions as w
    join {{ ref('fact_sales') }} as f on f.sale_id = w.sale_id
    where w.converted
    group by f.channel, w.session_date
),
web as (
    select session_date, count(*) as web_sessions, max(_loaded_at) as sessions_loaded_at
    from sessions
    group by session_date
)
select
    s.channel || '|' || cast(s.sale_date as varchar)                    as channel_day_key,
    s.channel,
    s.sale_date,
    s.orders,
    s.customers,
    s.units_sold,
    s.net_revenue,
    s.margin_amount,
    s.margin_amount / nullif(s.net_revenue, 0)                          as margin_pct,
    s.returns_amount,
    s.net_revenue / nullif(s.orders, 0)                                 as avg_order_value,
    case when s.channel <> 'store' then w.web_sessions end              as web_sessions,
    case when s.channel <> 'store' then c.converted_sessions end        as converted_sessions,
    case when s.channel <> 'store'
         then c.converted_sessions * 1.0 / nullif(w.web_sessions, 0) end as conversion_rate,
    s.last_loaded_at,
    w.sessions_loaded_at
from sales as s
left join web as w on w.session_date = s.sale_date
left join converted as c on c.channel = s.channel and c.session_date = s.sale_date
