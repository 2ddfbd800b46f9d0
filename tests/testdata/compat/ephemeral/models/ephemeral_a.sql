{{ config(materialized='ephemeral') }}
select id, name from {{ ref('base') }} where id > 1
