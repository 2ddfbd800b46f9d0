-- fact_sales' unique key (sale_id, line_number): a late or corrected line
-- replaces its earlier version instead of adding a row.
select sale_id, line_number, count(*) as n
from {{ ref('fact_sales') }}
group by sale_id, line_number
having count(*) > 1
