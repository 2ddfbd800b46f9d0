create or replace view WAREHOUSE.ANALYTICS.customers_v as (
select c.customer_id, c.name, t.completed_amount
from WAREHOUSE.ANALYTICS.customers as c
left join WAREHOUSE.ANALYTICS.order_totals_v1 as t using (customer_id)
);
