{#- Materialization of the models kept incrementally by key. -#}
{% macro keyed_incremental() -%}
    {#-
        delete+insert on DuckDB. dbt-spark has no delete+insert, and its merge
        needs a table format (Delta, Iceberg, Hudi) that cannot be installed
        offline: on other engines these models are rebuilt whole, with the
        same result (the incremental filters and pre-hooks apply only when
        is_incremental()).
    -#}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}
