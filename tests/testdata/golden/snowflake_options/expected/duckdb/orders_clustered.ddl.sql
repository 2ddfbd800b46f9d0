drop table if exists analytics.orders_clustered__kiln_tmp;
create table analytics.orders_clustered__kiln_tmp as (

select 1 as order_id, 7 as store_id, cast('2024-01-01 10:00:00' as timestamp) as ordered_at
);
alter table analytics.orders_clustered__kiln_tmp rename to orders_clustered;
