{{ config(materialized='incremental', unique_key=['store_id', 'product_id'],
          arrival_time='_ingested_at', delete_condition="op = 'D'") }}

-- The current assortment: one row per product listed at a store, with the
-- replenishment settings of its latest change. Kiln takes every change that
-- arrived (_ingested_at) since the last build, whatever its changed_at,
-- keeps each key's latest, deletes the keys whose latest change is a
-- delisting (op = 'D') and never inserts them; a re-listing inserts the key
-- again. The feed delivers a key's changes in change_seq order, so the
-- latest arrival is the latest change.
select
    assortment_key,
    store_id,
    product_id,
    reorder_point,
    safety_stock,
    order_up_to,
    replenishment_mode,
    changed_by,
    op,
    change_seq,
    changed_at,
    _ingested_at
from {{ ref('stg_assortment_changes') }}
