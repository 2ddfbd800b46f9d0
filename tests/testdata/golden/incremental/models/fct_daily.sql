{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='event_at', batch_size='day') }}
select store_id, sale_id, qty, event_at from {{ ref('events') }}
