-- Every return points at an earlier sale of the same store.
select r.sale_id, r.line_number, r.original_sale_id
from {{ ref('fact_sales') }} as r
left join (select distinct sale_id, store_id, min(sold_at) as sold_at from {{ ref('fact_sales') }} group by sale_id, store_id) as s
    on s.sale_id = r.original_sale_id
where r.transaction_type = 'return'
  and (s.sale_id is null or s.store_id <> r.store_id or s.sold_at > r.sold_at)
