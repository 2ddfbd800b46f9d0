select
    store_id,
    store_name,
    lower(store_format)                as store_format,
    region_code,
    city,
    cast(opened_on as date)            as opened_on,
    cast(opening_hour as integer)      as opening_hour,
    cast(closing_hour as integer)      as closing_hour,
    cast(_loaded_at as timestamp)      as _loaded_at
from {{ source('raw_erp', 'stores') }}
qualify row_number() over (partition by store_id order by _loaded_at desc) = 1
