{{ config(materialized='incremental', unique_key=['sale_id','line_number'], event_time='sold_at', lookback='3 days', arrival_time='_loaded_at', on_schema_change='append_new_columns') }}

-- One row per sale line, the latest version of each (corrections win).
-- The model reads every version; Kiln reduces each (sale_id, line_number)
-- to its latest _loaded_at (arrival_time), in the full build over the whole
-- history and in a batch over the lines that arrived since the last build,
-- whatever their sold_at. No window in stg_pos_transactions, so a batch's
-- filter on _loaded_at reaches the Parquet scan.
-- Store and product attributes come from staging, so the fact does not
-- wait for the dimensions' tests.
with lines as (
    select *
    from {{ ref('stg_pos_transactions') }}
)
select
    l.sale_id,
    l.line_number,
    l.store_id,
    st.region_code,
    l.product_id,
    pr.category,
    l.customer_id,
    l.sale_date,
    l.sold_at,
    l.channel,
    l.transaction_type,
    l.original_sale_id,
    l.quantity,
    l.unit_price,
    p.list_price,
    p.unit_cost,
    l.quantity * l.unit_price                                       as gross_amount,
    l.discount_amount,
    l.quantity * l.unit_price - l.discount_amount                   as net_amount,
    l.quantity * p.unit_cost                                        as cost_amount,
    l.quantity * l.unit_price - l.discount_amount
        - l.quantity * p.unit_cost                                  as margin_amount,
    l.promo_id,
    l.promo_id is not null                                          as is_promo,
    l.unit_price <> p.list_price                                    as is_off_list_price,
    l._loaded_at
from lines as l
left join {{ ref('stg_prices') }} as p
    on  p.product_id = l.product_id
    and l.sold_at >= p.valid_from
    and l.sold_at <  p.valid_to
left join {{ ref('stg_store_dim') }} as st
    on st.store_id = l.store_id
left join {{ ref('stg_product_master') }} as pr
    on pr.product_id = l.product_id
