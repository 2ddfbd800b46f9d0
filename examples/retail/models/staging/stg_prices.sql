-- Price list history as validity intervals: [valid_from, valid_to).
with prices as (
    select
        product_id,
        cast(effective_from as timestamp)       as valid_from,
        cast(list_price as decimal(12, 2))      as list_price,
        cast(unit_cost as decimal(12, 2))       as unit_cost,
        currency,
        cast(_loaded_at as timestamp)           as _loaded_at
    from {{ source('raw_erp', 'prices') }}
    qualify row_number() over (partition by product_id, effective_from order by _loaded_at desc) = 1
)
select
    product_id || '@' || cast(valid_from as varchar)                          as price_id,
    product_id,
    valid_from,
    coalesce(
        lead(valid_from) over (partition by product_id order by valid_from),
        cast('9999-12-31' as timestamp)
    )                                                                         as valid_to,
    list_price,
    unit_cost,
    currency,
    _loaded_at
from prices
