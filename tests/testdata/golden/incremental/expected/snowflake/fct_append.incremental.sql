-- the batch, with the target's high-water mark at 2024-01-02 12:05:00
create or replace temporary table kiln_batch__fct_append as
select * from (

select store_id, sale_id, qty, event_at, loaded_at from WAREHOUSE.ANALYTICS.events
) as kiln_src
where kiln_src.loaded_at > cast('2024-01-02 12:05:00' as TIMESTAMP_NTZ);

-- applied to the target, pruned to the batch's earliest event
insert into WAREHOUSE.ANALYTICS.fct_append (store_id, sale_id, qty, event_at, loaded_at)
select store_id, sale_id, qty, event_at, loaded_at from kiln_batch__fct_append;
