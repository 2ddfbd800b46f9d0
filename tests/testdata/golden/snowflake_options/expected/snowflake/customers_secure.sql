
select 1 as customer_id, 'a@example.com' as email, 'eu' as region

