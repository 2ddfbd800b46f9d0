{{ config(materialized='table') }}
with data as (
    select date '2024-02-15' as d, 'a,b,c' as csv, 'it''s' as quoted, true as flag
)
select
    cast({{ dbt.date_trunc('month', 'd') }} as date) as month_start,
    cast({{ dbt.dateadd('day', 3, 'd') }} as date) as plus_three,
    {{ dbt.datediff("'2024-01-01'", 'd', 'day') }} as days_since,
    {{ dbt.last_day('d', 'month') }} as month_end,
    {{ dbt.safe_cast("'12'", dbt.type_int()) }} as twelve,
    {{ dbt.safe_cast("'x'", dbt.type_int()) }} as not_a_number,
    {{ dbt.hash("'abc'") }} as abc_md5,
    {{ dbt.concat(["'a'", "'-'", "'b'"]) }} as a_b,
    {{ dbt.split_part('csv', "','", 2) }} as second_part,
    {{ dbt.position("'b'", 'csv') }} as b_at,
    {{ dbt.replace('csv', "','", "'|'") }} as piped,
    {{ dbt.right('csv', 3) }} as last_three,
    {{ dbt.length('csv') }} as csv_length,
    {{ dbt.string_literal("o'clock") }} as literal,
    '{{ dbt.escape_single_quotes("it's") }}' as escaped,
    {{ dbt.cast_bool_to_text('flag') }} as flag_text,
    cast(1.5 as {{ dbt.type_numeric() }}) as numeric_value,
    cast(2 as {{ type_bigint() }}) as bigint_value,
    cast('x' as {{ type_string() }}) as string_value,
    cast(0.25 as {{ type_float() }}) as float_value,
    cast('2024-01-01 10:00:00' as {{ type_timestamp() }}) as ts_value,
    cast(true as {{ type_boolean() }}) as bool_value,
    {{ dbt.date(2024, 3, 1) }} as made_date,
    {{ dbt.equals('1', '1') }} as eq,
    {{ dbt.array_construct(['1', '2']) }} as arr
from data
