{{ config(materialized='table') }}
with filtered as (select * from {{ ref('ephemeral_b') }})
select id, name from filtered
