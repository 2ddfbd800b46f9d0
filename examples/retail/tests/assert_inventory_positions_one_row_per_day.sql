-- fact_inventory_positions' unique key (store_id, product_id, balance_date).
select store_id, product_id, balance_date, count(*) as n
from {{ ref('fact_inventory_positions') }}
group by store_id, product_id, balance_date
having count(*) > 1
