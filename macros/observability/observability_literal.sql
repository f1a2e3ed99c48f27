{#- A Jinja value as a SQL literal: null, number, boolean, timestamp, text. -#}
{% macro observability_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- elif value.strftime is defined -%}
        timestamp '{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
    {%- else -%}
        {{ sql_string(value) }}
    {%- endif -%}
{%- endmacro %}
