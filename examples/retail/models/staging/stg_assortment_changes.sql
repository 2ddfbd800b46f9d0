-- Every change of the store assortment from the replenishment service's
-- Cassandra CDC feed, typed: listings (I), updates (U) and delistings (D,
-- key only). dim_store_assortment applies them; change_seq orders a key's
-- changes.
select
    store_id || '|' || product_id || '|' || cast(change_seq as varchar)  as assortment_change_key,
    store_id || '|' || product_id                                        as assortment_key,
    store_id,
    product_id,
    upper(op)                                                            as op,
    cast(change_seq as integer)                                          as change_seq,
    lower(changed_by)                                                    as changed_by,
    cast(reorder_point as integer)                                       as reorder_point,
    cast(safety_stock as integer)                                        as safety_stock,
    cast(order_up_to as integer)                                         as order_up_to,
    lower(replenishment_mode)                                            as replenishment_mode,
    cast(changed_at as timestamp)                                        as changed_at,
    cast(_ingested_at as timestamp)                                      as _ingested_at
from {{ source('raw_replenishment', 'assortment_changes') }}
