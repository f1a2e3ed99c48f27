{#- A text value (a path, a name) as a string literal of the target's SQL. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string')(value | string)) }}
{%- endmacro %}

{#- DuckDB and standard SQL: the quote doubled, nothing else special. -#}
{% macro default__sql_string(value) -%}
    {{ return(dbt.string_literal(dbt.escape_single_quotes(value))) }}
{%- endmacro %}

{#-
    Spark SQL unescapes backslash sequences in string literals, and reads
    two adjacent literals ('a''b') as one ('ab'): the backslash is doubled,
    then dbt-spark's escape puts one before each quote.
-#}
{% macro spark__sql_string(value) -%}
    {{ return(dbt.string_literal(
        dbt.escape_single_quotes(value | replace('\\', '\\\\'))
    )) }}
{%- endmacro %}
