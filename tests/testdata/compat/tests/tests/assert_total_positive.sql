select sum(amount) as total from {{ ref('stg_orders') }} having sum(amount) <= 0
