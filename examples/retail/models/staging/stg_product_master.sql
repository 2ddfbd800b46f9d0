-- Latest extract of each product.
select
    product_id,
    sku,
    product_name,
    category,
    subcategory,
    brand,
    unit_of_measure,
    is_active,
    cast(created_at as timestamp)   as created_at,
    cast(_loaded_at as timestamp)   as _loaded_at
from {{ source('raw_erp', 'products') }}
qualify row_number() over (partition by product_id order by _loaded_at desc) = 1
