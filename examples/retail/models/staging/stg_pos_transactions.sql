-- Every version of every POS sale line, typed. Corrections keep their own
-- row here (version_rank = 1 is the latest); fact_sales keeps the latest.
select
    sale_id,
    cast(line_number as integer)                          as line_number,
    store_id,
    product_id,
    customer_id,
    cast(quantity as integer)                             as quantity,
    cast(unit_price as decimal(12, 2))                    as unit_price,
    cast(coalesce(discount_amount, 0) as decimal(12, 2))  as discount_amount,
    promo_id,
    lower(channel)                                        as channel,
    original_sale_id,
    case when quantity < 0 then 'return' else 'sale' end  as transaction_type,
    cast(sold_at as timestamp)                            as sold_at,
    cast(sold_at as date)                                 as sale_date,
    cast(_loaded_at as timestamp)                         as _loaded_at,
    row_number() over (
        partition by sale_id, line_number
        order by _loaded_at desc
    )                                                     as version_rank
from {{ source('raw_pos', 'transactions') }}
