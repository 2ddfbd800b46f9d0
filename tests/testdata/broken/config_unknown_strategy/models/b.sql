{{ config(materialized='incremental', incremental_strategy='merj', unique_key='id') }}
select id from {{ ref('a') }}
