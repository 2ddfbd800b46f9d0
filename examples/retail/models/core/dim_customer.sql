-- Customers, deleted ones kept and flagged so their past sales keep a
-- customer. Incremental on Fivetran's conventions: the documented
-- _fivetran_synced column is the arrival time and _fivetran_deleted the
-- delete condition; soft_delete_column keeps deleted customers with
-- is_deleted = true. PII columns are masked in Snowflake by policy.
{{ config(materialized='incremental', unique_key='customer_id', soft_delete_column='is_deleted') }}
select
    customer_id,
    first_name || ' ' || last_name       as full_name,
    email,
    loyalty_tier,
    home_store_id,
    signed_up_at,
    cast(signed_up_at as date)           as signed_up_on,
    _fivetran_deleted,
    _fivetran_synced
from {{ ref('stg_customers') }}
