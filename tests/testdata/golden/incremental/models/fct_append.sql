{{ config(materialized='incremental', incremental_strategy='append', event_time='event_at', arrival_time='loaded_at') }}
select store_id, sale_id, qty, event_at, loaded_at from {{ ref('events') }}
