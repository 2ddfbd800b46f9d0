{% test row_count_at_least(model, min_rows=1) %}
select 1 from (select count(*) as n from {{ model }}) where n < {{ min_rows }}
{% endtest %}
