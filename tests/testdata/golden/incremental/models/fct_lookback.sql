{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='sale_id',
          event_time='event_at', lookback='3 days', prune_target=false) }}
select sale_id, max(qty) as qty, max(event_at) as event_at from {{ ref('events') }}
{% if is_incremental() %}where event_at > (select min(event_at) from {{ this }}){% endif %}
group by sale_id
