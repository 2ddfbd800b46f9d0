select * from (

select sale_id, max(qty) as qty, max(event_at) as event_at from analytics.events

group by sale_id
) as kiln_src
qualify row_number() over (partition by sale_id order by kiln_src.event_at desc nulls last) = 1
