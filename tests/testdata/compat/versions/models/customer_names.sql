{{ config(materialized='table') }}
select v1.full_name, v2.first_name, latest.first_name as latest_first_name
from {{ ref('dim_customers', v=1) }} v1
join {{ ref('dim_customers', v=2) }} v2 using (customer_id)
join {{ ref('dim_customers') }} latest using (customer_id)
