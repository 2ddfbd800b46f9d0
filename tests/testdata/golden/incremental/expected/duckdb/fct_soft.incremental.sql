-- the batch, with the target's high-water mark at 2024-01-02 12:05:00
create or replace temporary table kiln_batch__fct_soft__rows as
select * from (

select sale_id, qty, event_at, loaded_at from analytics.events where store_id = 1
) as kiln_src
where kiln_src.loaded_at >= cast('2024-01-02 12:05:00' as TIMESTAMP);
-- reduced to one row per key when this is true:
select exists (select 1 from temp.kiln_batch__fct_soft__rows group by sale_id having count(*) > 1);
create or replace temporary table kiln_batch__fct_soft as
select kiln_src.*, coalesce((qty > 4), false) as is_deleted from (
select * from (
select * from temp.kiln_batch__fct_soft__rows
) as kiln_src
qualify row_number() over (partition by sale_id order by kiln_src.loaded_at desc nulls last, kiln_src.event_at desc nulls last) = 1
) as kiln_src;
-- else, as no key repeats:
create or replace temporary table kiln_batch__fct_soft as
select kiln_src.*, coalesce((qty > 4), false) as is_deleted from (
select * from temp.kiln_batch__fct_soft__rows
) as kiln_src;
drop table if exists temp.kiln_batch__fct_soft__rows;

-- applied to the target
delete from analytics.fct_soft as DBT_INTERNAL_DEST
where (sale_id) in (select sale_id from kiln_batch__fct_soft);
insert into analytics.fct_soft (sale_id, qty, event_at, loaded_at, is_deleted)
select sale_id, qty, event_at, loaded_at, is_deleted from kiln_batch__fct_soft;
