create or replace secure view WAREHOUSE.ANALYTICS.customers_secure copy grants as (

select 1 as customer_id, 'a@example.com' as email, 'eu' as region
);
