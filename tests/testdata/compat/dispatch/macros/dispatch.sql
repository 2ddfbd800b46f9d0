{% macro cents_to_dollars(column_name, scale=2) %}
  {{ return(adapter.dispatch('cents_to_dollars')(column_name, scale)) }}
{% endmacro %}

{% macro default__cents_to_dollars(column_name, scale) %}
  round({{ column_name }} / 100.0, {{ scale }})
{% endmacro %}

{% macro duckdb__cents_to_dollars(column_name, scale) %}
  round(cast({{ column_name }} as double) / 100, {{ scale }})
{% endmacro %}

{% macro greeting() %}
  {{ return(adapter.dispatch('greeting', macro_namespace='compat')()) }}
{% endmacro %}

{% macro default__greeting() %}'hello'{% endmacro %}

{% macro methods_from_db() %}
  {% call statement('methods', fetch_result=True) %}
    select distinct method from {{ ref('payments') }} order by 1
  {% endcall %}
  {% if execute %}
    {{ return(load_result('methods')['data'] | map(attribute=0) | list) }}
  {% endif %}
  {{ return([]) }}
{% endmacro %}
