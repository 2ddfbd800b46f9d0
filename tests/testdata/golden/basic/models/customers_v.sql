select c.customer_id, c.name, t.completed_amount
from {{ ref('customers') }} as c
left join {{ ref('order_totals') }} as t using (customer_id)
