select * from {{ ref('order_totals') }} where completed_amount < 0
