{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='sale_id', event_time='event_at',
          arrival_time='loaded_at', delete_condition='qty > 4', soft_delete_column='is_deleted') }}
select sale_id, qty, event_at, loaded_at from {{ ref('events') }} where store_id = 1
