-- The POS pulse dashboard: each store's last {{ var('pos_pulse_minutes', 15) }}
-- minutes of trading. "Now" is the data clock (the latest sold_at loaded),
-- so the mart reads the same on a replayed sample as on a live feed.
with clock as (
    select max(sold_at) as as_of from {{ ref('fact_sales') }}
),
recent as (
    select
        f.store_id,
        count(distinct case when f.transaction_type = 'sale' then f.sale_id end)  as transactions,
        sum(case when f.transaction_type = 'sale' then f.quantity else 0 end)     as units_sold,
        sum(f.net_amount)                                                         as net_revenue,
        count(distinct case when f.transaction_type = 'return' then f.sale_id end) as returns
    from {{ ref('fact_sales') }} as f, clock
    where f.sold_at > clock.as_of - interval '{{ var("pos_pulse_minutes", 15) }} minutes'
      and f.sold_at <= clock.as_of
    group by f.store_id
),
last_seen as (
    select store_id, max(sold_at) as last_sale_at, max(_loaded_at) as last_loaded_at
    from {{ ref('fact_sales') }}
    group by store_id
)
select
    s.store_id,
    s.store_name,
    s.region_code,
    clock.as_of,
    clock.as_of - interval '{{ var("pos_pulse_minutes", 15) }} minutes'        as window_start,
    coalesce(r.transactions, 0)                                               as transactions,
    coalesce(r.units_sold, 0)                                                 as units_sold,
    coalesce(r.net_revenue, 0)                                                as net_revenue,
    coalesce(r.returns, 0)                                                    as returns,
    l.last_sale_at,
    l.last_loaded_at,
    datediff('minute', l.last_sale_at, clock.as_of)                           as minutes_since_last_sale,
    case
        when coalesce(r.transactions, 0) > 0 then 'trading'
        when datediff('minute', l.last_sale_at, clock.as_of) <= 60 then 'quiet'
        else 'silent'
    end                                                                       as pulse_status
from {{ ref('stg_store_dim') }} as s
cross join clock
left join recent as r on r.store_id = s.store_id
left join last_seen as l on l.store_id = s.store_id
