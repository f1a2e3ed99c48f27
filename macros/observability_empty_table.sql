{#- Empty, typed select of one observability history table: its definition. -#}
{% macro observability_empty_table(table_name) -%}
    select
    {%- for column_name, data_type in observability_columns(table_name) %}
        cast(null as {{ data_type }}) as {{ column_name }}
        {{- "," if not loop.last }}
    {%- endfor %}
    where false
{%- endmacro %}
