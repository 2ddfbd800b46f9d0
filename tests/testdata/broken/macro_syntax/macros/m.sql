{% macro m(a %}
{{ a }}
{% endmacro %}
