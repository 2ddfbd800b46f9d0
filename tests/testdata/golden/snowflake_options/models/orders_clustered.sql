{{ config(transient=false, copy_grants=true, cluster_by=['to_date(ordered_at)', 'store_id']) }}
select 1 as order_id, 7 as store_id, cast('2024-01-01 10:00:00' as timestamp) as ordered_at
