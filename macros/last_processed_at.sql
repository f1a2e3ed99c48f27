{#- Latest `_processed_at` of the model being built (its watermark). -#}
{#-
    On an incremental run it is read when the model compiles and written as
    a literal: a filter on a literal reaches the table scan, which skips the
    blocks of rows processed before (DuckDB keeps each block's least and
    greatest value); compared with a subquery, every row is read. Otherwise
    (while parsing, or when no model is built yet) the subquery itself.
-#}
{% macro last_processed_at() -%}
    {%- set subquery -%}
    (
        select
            coalesce(
                max(_processed_at),
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            ) as last_processed_at
        from {{ this }}
    )
    {%- endset -%}
    {%- if execute and is_incremental() -%}
        {%- set latest = run_query('select ' ~ subquery).columns[0].values()[0] -%}
        cast('{{ latest }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ subquery }}
    {%- endif -%}
{%- endmacro %}
