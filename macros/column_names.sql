{#- The columns of a relation, comma separated, in order. -#}
{% macro column_names(relation) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {{ return(columns | map(attribute='name') | join(', ')) }}
{%- endmacro %}
