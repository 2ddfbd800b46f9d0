{{ config(materialized='table', alias='renamed_table') }}
select id, upper(name) as name from {{ ref('view_model') }} where id <= 3
