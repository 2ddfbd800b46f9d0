{{ config(materialized='incremental', unique_key='id') }}
select id, 1/0 as x, cast('y' as int) as z from {{ ref('a') }}
