select
    event_id,
    store_id,
    product_id,
    lower(event_type)                  as event_type,
    cast(quantity_delta as integer)    as quantity_delta,
    reason,
    reference_id,
    cast(event_at as timestamp)        as event_at,
    cast(event_at as date)             as event_date,
    cast(_loaded_at as timestamp)      as _loaded_at
from {{ source('raw_inventory', 'events') }}
