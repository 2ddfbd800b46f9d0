-- the batch, with the target's high-water mark at 2024-01-02 12:05:00
create or replace temporary table kiln_batch__fct_lookback__rows as
select * from (

select sale_id, max(qty) as qty, max(event_at) as event_at from analytics.events
where event_at > (select min(event_at) from analytics.fct_lookback)
group by sale_id
) as kiln_src
where kiln_src.event_at >= (cast('2024-01-02 12:05:00' as TIMESTAMP) - interval '3 day');
-- reduced to one row per key when this is true:
select exists (select 1 from temp.kiln_batch__fct_lookback__rows group by sale_id having count(*) > 1);
create or replace temporary table kiln_batch__fct_lookback as
select * from (
select * from temp.kiln_batch__fct_lookback__rows
) as kiln_src
qualify row_number() over (partition by sale_id order by kiln_src.event_at desc nulls last) = 1;
-- else, as no key repeats:
create or replace temporary table kiln_batch__fct_lookback as
select * from temp.kiln_batch__fct_lookback__rows;
drop table if exists temp.kiln_batch__fct_lookback__rows;

-- applied to the target
delete from analytics.fct_lookback as DBT_INTERNAL_DEST
where (sale_id) in (select sale_id from kiln_batch__fct_lookback);
insert into analytics.fct_lookback (sale_id, qty, event_at)
select sale_id, qty, event_at from kiln_batch__fct_lookback;
