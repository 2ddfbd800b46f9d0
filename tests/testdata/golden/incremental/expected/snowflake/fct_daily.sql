select * from (

select store_id, sale_id, qty, event_at from WAREHOUSE.ANALYTICS.events

) as kiln_src
order by event_at
