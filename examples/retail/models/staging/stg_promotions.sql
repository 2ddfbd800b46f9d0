select
    promo_id,
    promo_name,
    lower(promo_type)                       as promo_type,
    product_id,
    cast(discount_pct as decimal(5, 4))     as discount_pct,
    cast(starts_on as date)                 as starts_on,
    cast(ends_on as date)                   as ends_on,
    cast(_loaded_at as timestamp)           as _loaded_at
from {{ source('raw_erp', 'promotions') }}
qualify row_number() over (partition by promo_id order by _loaded_at desc) = 1
