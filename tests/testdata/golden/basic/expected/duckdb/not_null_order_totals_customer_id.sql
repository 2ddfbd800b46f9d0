select customer_id
from analytics.order_totals_v1
where customer_id is null
