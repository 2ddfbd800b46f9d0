select
    session_id,
    customer_id,
    lower(device)                    as device,
    traffic_source,
    cast(started_at as timestamp)    as started_at,
    cast(started_at as date)         as session_date,
    coalesce(converted, false)       as converted,
    sale_id,
    cast(_loaded_at as timestamp)    as _loaded_at
from {{ source('raw_ecommerce', 'sessions') }}
