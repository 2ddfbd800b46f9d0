-- Customers, soft-deleted ones included (flagged) so their past sales keep
-- a customer. PII columns are masked in Snowflake by policy.
select
    customer_id,
    first_name || ' ' || last_name       as full_name,
    email,
    loyalty_tier,
    home_store_id,
    signed_up_at,
    cast(signed_up_at as date)           as signed_up_on,
    is_deleted
from {{ ref('stg_customers') }}
