{{ config(materialized='incremental', unique_key=['store_id', 'sale_id'], event_time='event_at', arrival_time='loaded_at',
          delete_condition='qty > 4') }}
select store_id, sale_id, qty, event_at, loaded_at from {{ ref('events') }}
