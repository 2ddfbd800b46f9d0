
select 1 as order_id, 7 as store_id, cast('2024-01-01 10:00:00' as timestamp) as ordered_at

