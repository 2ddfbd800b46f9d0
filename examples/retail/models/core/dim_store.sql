select
    s.store_id,
    s.store_name,
    s.store_format,
    s.city,
    s.region_code,
    r.region_name,
    r.region_director_email,
    s.opened_on,
    s.opening_hour,
    s.closing_hour
from {{ ref('stg_store_dim') }} as s
left join {{ ref('store_regions') }} as r
    on r.region_code = s.region_code
