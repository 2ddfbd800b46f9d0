{{ config(materialized='table') }}
select cast('x' || id as integer) as id from {{ ref('a') }}
