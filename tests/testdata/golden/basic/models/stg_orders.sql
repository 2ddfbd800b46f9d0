{{ config(materialized='ephemeral') }}
select order_id, customer_id, lower(status) as status, amount from {{ ref('orders') }}
