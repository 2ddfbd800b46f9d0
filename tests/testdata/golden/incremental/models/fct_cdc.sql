{{ config(materialized='incremental', unique_key=['store_id', 'sale_id'], event_time='event_at', arrival_time='loaded_at',
          delete_condition='qty > 4', prune_target=true) }}
-- Sale events keep their event_at when corrected or voided, so pruning is
-- safe here; delete_condition alone turns it off (change feeds).
select store_id, sale_id, qty, event_at, loaded_at from {{ ref('events') }}
