{{ config(materialized='incremental', unique_key='event_id') }}
select event_id, user_id, updated_at from {{ ref('events') }}
{% if is_incremental() %}
where updated_at >= (select max(updated_at) from {{ this }})
{% endif %}
