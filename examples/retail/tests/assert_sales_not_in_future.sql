-- A sale cannot arrive before it happened, nor be dated after today.
select sale_id, line_number, sold_at, _loaded_at
from {{ ref('fact_sales') }}
where sold_at > _loaded_at
   or sale_date > current_date
