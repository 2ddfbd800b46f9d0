{{ config(materialized='table') }}
selec id from {{ ref('a') }}
