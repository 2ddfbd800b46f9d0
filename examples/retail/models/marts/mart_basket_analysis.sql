{{ config(materialized='incremental', unique_key='basket_key') }}

-- Day x store x channel: basket size and value, and the product pair most
-- often bought together that day.
--
-- Built to stay within memory at full scale: each basket's products are
-- deduplicated before the pairs are formed, so a pair is counted with
-- count(*) rather than count(distinct sale_id), and the top pair of a day
-- is one aggregate (the smallest of (-baskets, product a, product b), i.e.
-- the most baskets, ties to the first pair by product ids) instead of a
-- window over every pair.
--
-- Incremental by day: a build recomputes, from all their lines, only the
-- days that received a line since the mart's newest arrival; Kiln merges
-- those rows on basket_key.
with
{% if is_incremental() %}
{{ sale_days_changed() }}
{% endif %}
sale_lines as (
    select sale_id, store_id, channel, sale_date, product_id, quantity, net_amount, _loaded_at
    from {{ ref('fact_sales') }}
    where transaction_type = 'sale'
{% if is_incremental() %}
      and sale_date in (select sale_date from changed_days)
{% endif %}
),
baskets as (
    select
        sale_id,
        store_id,
        channel,
        sale_date,
        count(*)            as lines,
        sum(quantity)       as items,
        sum(net_amount)     as basket_value,
        max(_loaded_at)     as last_loaded_at
    from sale_lines
    group by sale_id, store_id, channel, sale_date
),
basket_products as (
    -- one row per product in a basket (a sale's lines share its store,
    -- channel and day)
    select distinct sale_id, store_id, channel, sale_date, product_id
    from sale_lines
),
pairs as (
    select
        a.store_id, a.channel, a.sale_date,
        a.product_id as product_a_id,
        b.product_id as product_b_id,
        count(*)     as baskets_together
    from basket_products as a
    join basket_products as b
        on  b.sale_id = a.sale_id
        and b.product_id > a.product_id
    group by a.store_id, a.channel, a.sale_date, a.product_id, b.product_id
),
top_pair as (
    select
        store_id, channel, sale_date,
        min(struct_pack(
            neg_baskets  := -baskets_together,
            product_a_id := product_a_id,
            product_b_id := product_b_id
        )) as top
    from pairs
    group by store_id, channel, sale_date
),
basket_days as (
    select
        sale_date,
        store_id,
        channel,
        count(*)                                                        as baskets,
        avg(lines)                                                      as avg_lines_per_basket,
        avg(items)                                                      as avg_items_per_basket,
        avg(basket_value)                                               as avg_basket_value,
        sum(case when items = 1 then 1 else 0 end) * 1.0 / count(*)     as single_item_share,
        max(items)                                                      as max_items_in_basket,
        max(last_loaded_at)                                             as last_loaded_at
    from baskets
    group by sale_date, store_id, channel
)
select
    cast(b.sale_date as varchar) || '|' || b.store_id || '|' || b.channel   as basket_key,
    b.sale_date,
    b.store_id,
    b.channel,
    b.baskets,
    b.avg_lines_per_basket,
    b.avg_items_per_basket,
    b.avg_basket_value,
    b.single_item_share,
    b.max_items_in_basket,
    t.top.product_a_id                                                     as top_pair_product_a_id,
    t.top.product_b_id                                                     as top_pair_product_b_id,
    -t.top.neg_baskets                                                     as top_pair_baskets,
    b.last_loaded_at
from basket_days as b
left join top_pair as t
    on t.store_id = b.store_id and t.channel = b.channel and t.sale_date = b.sale_date
