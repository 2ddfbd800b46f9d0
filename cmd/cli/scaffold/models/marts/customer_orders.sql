{{ config(materialized='table') }}

{% set statuses = ['completed', 'shipped'] %}

select
    customer_id,
    count(*)    as orders,
    {% for s in statuses %}
    sum(case when status = '{{ s }}' then amount else 0 end) as {{ s }}_amount{% if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('stg_orders') }}
group by customer_id
