select 1 as n union all select 2
{{ dbt.except() }}
select 2
