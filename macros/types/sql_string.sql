{#- A text value (a path, a name) as a string literal of the target's SQL. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string')(value | string)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    {{ return(dbt.string_literal(dbt.escape_single_quotes(value))) }}
{%- endmacro %}

{% macro spark__sql_string(value) -%}
    {{ return(dbt.string_literal(
        dbt.escape_single_quotes(value | replace('\\', '\\\\'))
    )) }}
{%- endmacro %}
