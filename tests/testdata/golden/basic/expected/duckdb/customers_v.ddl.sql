drop view if exists analytics.customers_v__kiln_tmp;
create view analytics.customers_v__kiln_tmp as (
select c.customer_id, c.name, t.completed_amount
from analytics.customers as c
left join analytics.order_totals_v1 as t using (customer_id)
);
alter view analytics.customers_v__kiln_tmp rename to customers_v;
