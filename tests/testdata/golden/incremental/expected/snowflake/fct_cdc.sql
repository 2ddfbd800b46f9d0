select * from (
select * from (
select * from (

-- Sale events keep their event_at when corrected or voided, so pruning is
-- safe here; delete_condition alone turns it off (change feeds).
select store_id, sale_id, qty, event_at, loaded_at from WAREHOUSE.ANALYTICS.events
) as kiln_src
qualify row_number() over (partition by store_id, sale_id order by kiln_src.loaded_at desc nulls last, kiln_src.event_at desc nulls last) = 1
) as kiln_src
where not coalesce((qty > 4), false)
) as kiln_src
order by event_at
