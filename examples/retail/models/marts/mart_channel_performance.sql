-- Channel x day, with web sessions and conversion for the digital channels.
with sales as (
    select
        channel,
        sale_date,
        count(distinct case when transaction_type = 'sale' then sale_id end)       as orders,
        count(distinct case when transaction_type = 'sale' then customer_id end)   as customers,
        sum(case when transaction_type = 'sale' then quantity else 0 end)          as units_sold,
        sum(net_amount)                                                            as net_revenue,
        sum(margin_amount)                                                         as margin_amount,
        sum(case when transaction_type = 'return' then -net_amount else 0 end)     as returns_amount
    from {{ ref('fact_sales') }}
    group by channel, sale_date
),
converted as (
    select f.channel, w.session_date, count(distinct w.session_id) as converted_sessions
    from {{ ref('stg_web_sessions') }} as w
    join (select distinct sale_id, channel from {{ ref('fact_sales') }}) as f on f.sale_id = w.sale_id
    where w.converted
    group by f.channel, w.session_date
),
web as (
    select session_date, count(*) as web_sessions
    from {{ ref('stg_web_sessions') }}
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
         then c.converted_sessions * 1.0 / nullif(w.web_sessions, 0) end as conversion_rate
from sales as s
left join web as w on w.session_date = s.sale_date
left join converted as c on c.channel = s.channel and c.session_date = s.sale_date
