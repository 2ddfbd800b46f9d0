select * from analytics.order_totals_v1 where completed_amount < 0
