-- Product master with the price list in effect now.
with current_price as (
    select product_id, list_price, unit_cost, valid_from
    from {{ ref('stg_prices') }}
    where valid_to = cast('9999-12-31' as timestamp)
)
select
    p.product_id,
    p.sku,
    p.product_name,
    p.category,
    p.subcategory,
    p.brand,
    p.unit_of_measure,
    p.is_active,
    c.list_price                                       as current_list_price,
    c.unit_cost                                        as current_unit_cost,
    c.valid_from                                       as current_price_since,
    case
        when c.list_price < 5 then 'value'
        when c.list_price < 25 then 'mid'
        else 'premium'
    end                                                as price_tier
from {{ ref('stg_product_master') }} as p
left join current_price as c
    on c.product_id = p.product_id
