{#- ISO day of week of a date: 1 for Monday to 7 for Sunday. -#}
{% macro day_of_week_number(date_expression) -%}
    {{ return(adapter.dispatch('day_of_week_number')(date_expression)) }}
{%- endmacro %}

{% macro default__day_of_week_number(date_expression) -%}
    ((dayofweek({{ date_expression }}) + 5) % 7 + 1)
{%- endmacro %}

{% macro duckdb__day_of_week_number(date_expression) -%}
    isodow({{ date_expression }})
{%- endmacro %}
