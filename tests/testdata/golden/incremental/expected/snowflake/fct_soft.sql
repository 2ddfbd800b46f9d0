select kiln_src.*, coalesce((qty > 4), false) as is_deleted from (
select * from (

select sale_id, qty, event_at, loaded_at from WAREHOUSE.ANALYTICS.events where store_id = 1
) as kiln_src
qualify row_number() over (partition by sale_id order by kiln_src.loaded_at desc nulls last, kiln_src.event_at desc nulls last) = 1
) as kiln_src
