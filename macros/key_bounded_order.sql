{#- `order by` the model's key_bounded_by column, on a full build on DuckDB. -#}
{#-
    A full build stores the rows in the order of the column its key
    determines (flight_date), so that each block of rows covers a few days:
    the bounded reads and deletes of the incremental runs (ranked_versions,
    duckdb__get_delete_insert_merge_sql) then skip the other blocks. The
    rows an incremental run appends are the new days'. Elsewhere, nothing.
-#}
{% macro key_bounded_order() -%}
    {%- set column = config.get('key_bounded_by') -%}
    {%- if column and target.type == 'duckdb' and not is_incremental() -%}
        order by {{ column }}
    {%- endif -%}
{%- endmacro %}
