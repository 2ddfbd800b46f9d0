{#- The sale days that received a line (new, late or corrected) since the
    calling mart's newest arrival, as a CTE named changed_days with one
    column, sale_date. Marts built by day recompute only these days. -#}
{% macro sale_days_changed() %}
changed_days as (
    select distinct sale_date
    from {{ ref('fact_sales') }}
    where _loaded_at >= (select max(last_loaded_at) from {{ this }})
),
{% endmacro %}
