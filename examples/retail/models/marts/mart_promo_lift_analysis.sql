-- Each promotion against its product's baseline: average daily units and
-- revenue during the promotion vs the {{ var('promo_baseline_days', 28) }}
-- days before it (days with another promotion on the product excluded).
with promos as (
    select p.*, d.category
    from {{ ref('stg_promotions') }} as p
    left join {{ ref('stg_product_master') }} as d on d.product_id = p.product_id
),
daily as (
    select product_id, sale_date, sum(quantity) as units, sum(net_amount) as revenue, sum(margin_amount) as margin
    from {{ ref('fact_sales') }}
    where transaction_type = 'sale'
    group by product_id, sale_date
),
periods as (
    select p.promo_id, d.date_day, 'promo' as period
    from promos as p
    join {{ ref('dim_date') }} as d
        on d.date_day between p.starts_on and p.ends_on
    union all
    select p.promo_id, d.date_day, 'baseline' as period
    from promos as p
    join {{ ref('dim_date') }} as d
        on  d.date_day >= cast(p.starts_on - interval '{{ var("promo_baseline_days", 28) }} days' as date)
        and d.date_day <  p.starts_on
    where not exists (
        select 1 from promos as o
        where o.product_id = p.product_id
          and d.date_day between o.starts_on and o.ends_on
    )
),
measured as (
    select
        p.promo_id,
        count(case when pd.period = 'promo' then 1 end)                           as promo_days,
        count(case when pd.period = 'baseline' then 1 end)                        as baseline_days,
        sum(case when pd.period = 'promo' then coalesce(s.units, 0) else 0 end)   as promo_units,
        sum(case when pd.period = 'baseline' then coalesce(s.units, 0) else 0 end) as baseline_units,
        sum(case when pd.period = 'promo' then coalesce(s.revenue, 0) else 0 end) as promo_revenue,
        sum(case when pd.period = 'baseline' then coalesce(s.revenue, 0) else 0 end) as baseline_revenue,
        sum(case when pd.period = 'promo' then coalesce(s.margin, 0) else 0 end)  as promo_margin
    from promos as p
    left join periods as pd on pd.promo_id = p.promo_id
    left join daily as s on s.product_id = p.product_id and s.sale_date = pd.date_day
    group by p.promo_id
),
rates as (
    select
        p.promo_id, p.promo_name, p.promo_type, p.product_id, p.category, p.discount_pct,
        p.starts_on, p.ends_on,
        m.promo_days, m.baseline_days, m.promo_units, m.promo_revenue, m.promo_margin,
        m.promo_units * 1.0 / nullif(m.promo_days, 0)          as promo_avg_daily_units,
        m.baseline_units * 1.0 / nullif(m.baseline_days, 0)    as baseline_avg_daily_units,
        m.promo_revenue / nullif(m.promo_days, 0)              as promo_avg_daily_revenue,
        m.baseline_revenue / nullif(m.baseline_days, 0)        as baseline_avg_daily_revenue
    from promos as p
    join measured as m on m.promo_id = p.promo_id
)
select
    *,
    promo_avg_daily_units / nullif(baseline_avg_daily_units, 0) - 1            as unit_lift_pct,
    promo_avg_daily_revenue / nullif(baseline_avg_daily_revenue, 0) - 1        as revenue_lift_pct,
    promo_units - coalesce(baseline_avg_daily_units, 0) * promo_days           as incremental_units,
    case
        when promo_days = 0 then 'scheduled'
        when promo_days < datediff('day', starts_on, ends_on) + 1 then 'running'
        else 'completed'
    end                                                                        as promo_status,
    case
        when promo_days = 0 then 'not_started'
        when coalesce(baseline_avg_daily_units, 0) = 0 then 'no_baseline'
        when promo_avg_daily_units >= baseline_avg_daily_units * 1.1 then 'uplift'
        when promo_avg_daily_units <= baseline_avg_daily_units * 0.9 then 'decline'
        else 'flat'
    end                                                                        as lift_band
from rates
