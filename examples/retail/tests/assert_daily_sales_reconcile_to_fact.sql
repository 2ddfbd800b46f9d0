-- The case study's reconciliation rule: day/store/category totals of the
-- mart match the fact within 0.5% (here they must match exactly; the
-- tolerance is the one agreed with finance for the legacy comparison).
with fact as (
    select sale_date, store_id, category, sum(net_amount) as net_revenue
    from {{ ref('fact_sales') }}
    group by sale_date, store_id, category
)
select f.sale_date, f.store_id, f.category, f.net_revenue, m.net_revenue as mart_net_revenue
from fact as f
left join {{ ref('mart_daily_sales') }} as m
    on m.sale_date = f.sale_date and m.store_id = f.store_id and m.category = f.category
where m.net_revenue is null
   or abs(m.net_revenue - f.net_revenue) > 0.005 * greatest(abs(f.net_revenue), 1)
