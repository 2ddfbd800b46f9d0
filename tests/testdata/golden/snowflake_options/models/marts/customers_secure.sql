{{ config(materialized='view', secure=true, copy_grants=true, query_tag='bi-refresh') }}
select 1 as customer_id, 'a@example.com' as email, 'eu' as region
