-- Day x store x channel: basket size and value, and the product pair most
-- often bought together that day.
with baskets as (
    select
        sale_id,
        store_id,
        channel,
        sale_date,
        count(*)            as lines,
        sum(quantity)       as items,
        sum(net_amount)     as basket_value
    from {{ ref('fact_sales') }}
    where transaction_type = 'sale'
    group by sale_id, store_id, channel, sale_date
),
pairs as (
    select
        a.store_id, a.channel, a.sale_date,
        a.product_id as product_a_id,
        b.product_id as product_b_id,
        count(distinct a.sale_id) as baskets_together
    from {{ ref('fact_sales') }} as a
    join {{ ref('fact_sales') }} as b
        on  b.sale_id = a.sale_id
        and b.product_id > a.product_id
        and b.transaction_type = 'sale'
    where a.transaction_type = 'sale'
    group by a.store_id, a.channel, a.sale_date, a.product_id, b.product_id
),
top_pair as (
    select *
    from pairs
    qualify row_number() over (
        partition by store_id, channel, sale_date
        order by baskets_together desc, product_a_id, product_b_id
    ) = 1
)
select
    cast(b.sale_date as varchar) || '|' || b.store_id || '|' || b.channel   as basket_key,
    b.sale_date,
    b.store_id,
    b.channel,
    count(*)                                                               as baskets,
    avg(b.lines)                                                           as avg_lines_per_basket,
    avg(b.items)                                                           as avg_items_per_basket,
    avg(b.basket_value)                                                    as avg_basket_value,
    sum(case when b.items = 1 then 1 else 0 end) * 1.0 / count(*)          as single_item_share,
    max(b.items)                                                           as max_items_in_basket,
    max(t.product_a_id)                                                    as top_pair_product_a_id,
    max(t.product_b_id)                                                    as top_pair_product_b_id,
    max(t.baskets_together)                                                as top_pair_baskets
from baskets as b
left join top_pair as t
    on t.store_id = b.store_id and t.channel = b.channel and t.sale_date = b.sale_date
group by b.sale_date, b.store_id, b.channel
