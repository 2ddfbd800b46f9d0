{{ config(materialized='table', alias='final_mart') }}
select id from {{ ref('staged') }}
