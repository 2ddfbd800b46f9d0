{{ config(materialized='table') }}
with data as (
    select * from (values (1, 'x', true), (1, 'y', false), (2, 'z', false)) as t(k, v, f)
)
select
    k,
    {{ listagg('v', "','", "order by v") }} as vs,
    {{ dbt.bool_or('f') }} as any_f,
    {{ dbt.any_value('k') }} as some_k
from data
group by k
