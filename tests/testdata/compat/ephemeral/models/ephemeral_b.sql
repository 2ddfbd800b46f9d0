{{ config(materialized='ephemeral') }}
select * from {{ ref('ephemeral_a') }} where id < 4
