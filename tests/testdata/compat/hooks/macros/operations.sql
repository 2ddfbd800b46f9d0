{% macro record_event(event) %}
  {% do log("recording " ~ event, info=True) %}
  {% set n = run_query("select count(*) from " ~ target.schema ~ ".audit") %}
  insert into {{ target.schema }}.audit values ('{{ event }}', '{{ n[0][0] }} rows before')
{% endmacro %}
