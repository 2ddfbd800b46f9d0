-- Every version of every POS sale line, typed. A correction is a later
-- version of the same (sale_id, line_number). No window here: fact_sales
-- keeps the latest version through Kiln's key reduction (arrival_time), so a
-- build's filter on _loaded_at reaches the Parquet scan.
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
    cast(_loaded_at as timestamp)                         as _loaded_at
from {{ source('raw_pos', 'transactions') }}
