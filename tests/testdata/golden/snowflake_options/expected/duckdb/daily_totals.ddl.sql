drop table if exists analytics.daily_totals__kiln_tmp;
create table analytics.daily_totals__kiln_tmp as (

select cast('2024-01-01' as date) as day, 'eu' as region, 10 as total
);
alter table analytics.daily_totals__kiln_tmp rename to daily_totals;
