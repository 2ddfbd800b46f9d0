create or replace transient table WAREHOUSE.ANALYTICS.order_totals_v1 as (
with __kiln_cte__stg_orders as (
select order_id, customer_id, lower(status) as status, amount from WAREHOUSE.ANALYTICS.orders
)
select
    customer_id,
    sum(case when status = 'completed' then amount else 0 end) as completed_amount,
    sum(case when status = 'shipped' then amount else 0 end) as shipped_amount
from __kiln_cte__stg_orders
group by customer_id
);
