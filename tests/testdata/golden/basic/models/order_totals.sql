{{ config(materialized='table', alias='order_totals_v1') }}
{%- set statuses = ['completed', 'shipped'] %}
select
    customer_id,
    {%- for s in statuses %}
    sum(case when status = '{{ s }}' then amount else 0 end) as {{ s }}_amount{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('stg_orders') }}
group by customer_id
