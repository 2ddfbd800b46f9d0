-- Latest Fivetran extract of each customer; deletes stay as rows with
-- _fivetran_deleted = true (dim_customer turns them into soft deletes).
select
    customer_id,
    first_name,
    last_name,
    lower(email)                                  as email,
    lower(loyalty_tier)                           as loyalty_tier,
    home_store_id,
    cast(signed_up_at as timestamp)               as signed_up_at,
    coalesce(_fivetran_deleted, false)            as _fivetran_deleted,
    cast(_fivetran_synced as timestamp)           as _fivetran_synced
from {{ source('raw_crm', 'customers') }}
qualify row_number() over (partition by customer_id order by _fivetran_synced desc) = 1
