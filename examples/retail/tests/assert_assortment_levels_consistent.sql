-- Every listed product's replenishment settings hold together:
-- 0 < safety stock <= reorder point < order-up-to level.
select assortment_key, safety_stock, reorder_point, order_up_to
from {{ ref('dim_store_assortment') }}
where not (safety_stock > 0 and safety_stock <= reorder_point and reorder_point < order_up_to)
