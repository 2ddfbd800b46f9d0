-- One row per order, cleaned up from the raw seed.
select
    order_id,
    customer_id,
    cast(ordered_at as date) as ordered_on,
    lower(status)            as status,
    amount
from {{ ref('raw_orders') }}
