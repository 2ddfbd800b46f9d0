-- Fivetran soft deletes are kept (is_deleted) so past sales keep their customer.
select
    customer_id,
    first_name,
    last_name,
    lower(email)                                  as email,
    lower(loyalty_tier)                           as loyalty_tier,
    home_store_id,
    cast(signed_up_at as timestamp)               as signed_up_at,
    coalesce(_fivetran_deleted, false)            as is_deleted,
    cast(_fivetran_synced as timestamp)           as _fivetran_synced
from {{ source('raw_crm', 'customers') }}
qualify row_number() over (partition by customer_id order by _fivetran_synced desc) = 1
