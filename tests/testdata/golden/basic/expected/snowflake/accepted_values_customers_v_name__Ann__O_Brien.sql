select
    name as value_field,
    count(*) as n_records
from (select * from WAREHOUSE.ANALYTICS.customers_v where customer_id > 0) as dbt_subquery
where name not in ('Ann', 'O''Brien')
group by name
