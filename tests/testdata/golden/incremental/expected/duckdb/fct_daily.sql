select * from (

select store_id, sale_id, qty, event_at from analytics.events

) as kiln_src
order by event_at
