-- Stock on hand at the end of a day is never negative.
select store_id, product_id, balance_date, closing_units
from {{ ref('fact_inventory_positions') }}
where closing_units < 0
