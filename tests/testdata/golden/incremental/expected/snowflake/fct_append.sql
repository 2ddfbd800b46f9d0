
select store_id, sale_id, qty, event_at, loaded_at from WAREHOUSE.ANALYTICS.events

