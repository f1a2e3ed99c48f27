{#- delete+insert on DuckDB, with the delete bounded by `key_bounded_by`. -#}
{#-
    Overrides dbt-duckdb's `duckdb__get_delete_insert_merge_sql` for the
    models that set `key_bounded_by`: the rows to replace are deleted within
    the ranges of key_bounded_ranges (literal bounds that reach the table
    scan) instead of by one delete that reads the key of every stored row.
    Other models: dbt's own delete+insert.
-#}
{% macro duckdb__get_delete_insert_merge_sql(
    target, source, unique_key, dest_columns, incremental_predicates
) -%}
    {%- if not config.get('key_bounded_by') or unique_key is not string -%}
        {{ return(default__get_delete_insert_merge_sql(
            target, source, unique_key, dest_columns, incremental_predicates
        )) }}
    {%- endif -%}
    {%- set predicates = incremental_predicates or [] -%}
    {%- set dest_cols_csv = get_quoted_csv(
        dest_columns | map(attribute='name')
    ) -%}
    {%- for range in key_bounded_ranges(source) %}
    delete from {{ target }}
    where
        {{ range }}
        and {{ unique_key }} in (select {{ unique_key }} from {{ source }})
        {%- for predicate in predicates %}
        and {{ predicate }}
        {%- endfor %};
    {% endfor %}
    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
