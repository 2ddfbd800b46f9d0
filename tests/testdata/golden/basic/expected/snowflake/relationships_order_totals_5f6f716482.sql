with child as (
    select customer_id as from_field
    from WAREHOUSE.ANALYTICS.order_totals_v1
    where customer_id is not null
),
parent as (
    select customer_id as to_field
    from WAREHOUSE.ANALYTICS.customers
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
