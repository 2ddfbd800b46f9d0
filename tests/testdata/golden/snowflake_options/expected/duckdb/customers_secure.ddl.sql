drop view if exists analytics.customers_secure__kiln_tmp;
create view analytics.customers_secure__kiln_tmp as (

select 1 as customer_id, 'a@example.com' as email, 'eu' as region
);
alter view analytics.customers_secure__kiln_tmp rename to customers_secure;
