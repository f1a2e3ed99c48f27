{#- Fails with every row of the model: for tables that should stay empty. -#}
{% test has_no_rows(model) -%}
    select * from {{ model }}
{%- endtest %}
