{{ config(materialized='table') }}
{%- set methods_query = run_query("select distinct method from " ~ ref('payments') ~ " order by 1") -%}
{%- if execute -%}
{%- set methods = methods_query.columns[0].values() -%}
{%- else -%}
{%- set methods = [] -%}
{%- endif -%}
{%- set from_statement = methods_from_db() -%}
{%- set cfg = fromjson('{"label": "pivot", "n": 2}') -%}
{%- set d = modules.datetime.date(2024, 1, 31) + modules.datetime.timedelta(days=1) -%}
{% do log("building " ~ this.identifier, info=True) %}
select
  {% for m in methods -%}
  sum(case when method = '{{ m }}' then amount else 0 end) as {{ m }}_amount,
  {% endfor -%}
  {{ methods | length }} as method_count,
  {{ from_statement | length }} as methods_via_statement,
  {{ cents_to_dollars('sum(amount)') }} as dollars,
  {{ greeting() }} as greeting,
  '{{ cfg.label }}' as label,
  '{{ d.strftime("%Y-%m-%d") }}' as next_day,
  '{{ tojson({"a": 1}) }}' as as_json,
  {% for a, b in zip([1, 2], ['x', 'y']) %}'{{ a }}{{ b }}' as zipped_{{ loop.index }},{% endfor %}
  '{{ dbt_version }}' is not null as has_version
from {{ ref('payments') }}
