select customer_id
from WAREHOUSE.ANALYTICS.order_totals_v1
where customer_id is null
