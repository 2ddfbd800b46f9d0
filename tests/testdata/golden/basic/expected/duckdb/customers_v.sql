select c.customer_id, c.name, t.completed_amount
from analytics.customers as c
left join analytics.order_totals_v1 as t using (customer_id)

