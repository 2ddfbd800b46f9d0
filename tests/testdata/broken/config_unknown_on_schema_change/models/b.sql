{{ config(materialized='incremental', unique_key='id', on_schema_change='bogus') }}
select id from {{ ref('a') }}
