-- the batch, with the target's high-water mark at 2024-01-02 12:05:00
create or replace temporary table kiln_batch__fct_merge__rows as
select * from (

select store_id, sale_id, qty, event_at, loaded_at from analytics.events
) as kiln_src
where kiln_src.loaded_at >= cast('2024-01-02 12:05:00' as TIMESTAMP);
-- reduced to one row per key when this is true:
select exists (select 1 from temp.kiln_batch__fct_merge__rows group by store_id, sale_id having count(*) > 1);
create or replace temporary table kiln_batch__fct_merge as
select * from (
select * from temp.kiln_batch__fct_merge__rows
) as kiln_src
qualify row_number() over (partition by store_id, sale_id order by kiln_src.loaded_at desc nulls last, kiln_src.event_at desc nulls last) = 1;
-- else, as no key repeats:
create or replace temporary table kiln_batch__fct_merge as
select * from temp.kiln_batch__fct_merge__rows;
drop table if exists temp.kiln_batch__fct_merge__rows;

-- applied to the target, pruned to the batch's earliest event
merge into analytics.fct_merge as DBT_INTERNAL_DEST
using kiln_batch__fct_merge as DBT_INTERNAL_SOURCE
on DBT_INTERNAL_DEST.store_id = DBT_INTERNAL_SOURCE.store_id
  and DBT_INTERNAL_DEST.sale_id = DBT_INTERNAL_SOURCE.sale_id
  and DBT_INTERNAL_DEST.event_at >= cast('2024-01-01 10:00:00' as TIMESTAMP)
  and DBT_INTERNAL_DEST.store_id > 0
when matched then update set
    qty = DBT_INTERNAL_SOURCE.qty,
    event_at = DBT_INTERNAL_SOURCE.event_at,
    loaded_at = DBT_INTERNAL_SOURCE.loaded_at
when not matched then insert (store_id, sale_id, qty, event_at, loaded_at)
    values (DBT_INTERNAL_SOURCE.store_id, DBT_INTERNAL_SOURCE.sale_id, DBT_INTERNAL_SOURCE.qty, DBT_INTERNAL_SOURCE.event_at, DBT_INTERNAL_SOURCE.loaded_at);
