
select store_id, sale_id, qty, event_at from WAREHOUSE.ANALYTICS.events

