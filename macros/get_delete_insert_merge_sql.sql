{#- delete+insert on DuckDB, with the delete bounded by `key_bounded_by`. -#}
{#-
    Overrides dbt-duckdb's `duckdb__get_delete_insert_merge_sql` for the
    models that set `key_bounded_by`: a column their unique key determines
    (the same key never has two values of it, e.g. flight_date for
    flight_id). The rows to replace then lie between its least and greatest
    value among the new rows, or have it null: two deletes bounded so, whose
    literal bounds reach the table scan, instead of one delete that reads
    the key of every stored row. Other models: dbt's own delete+insert.
-#}
{% macro duckdb__get_delete_insert_merge_sql(
    target, source, unique_key, dest_columns, incremental_predicates
) -%}
    {%- set bounded_by = config.get('key_bounded_by') -%}
    {%- if not bounded_by or unique_key is not string -%}
        {{ return(default__get_delete_insert_merge_sql(
            target, source, unique_key, dest_columns, incremental_predicates
        )) }}
    {%- endif -%}
    {%- set bounds = run_query(
        'select min(' ~ bounded_by ~ '), max(' ~ bounded_by ~ '), typeof(min('
        ~ bounded_by ~ ')) from ' ~ source
    ).rows[0] -%}
    {%- set predicates = incremental_predicates or [] -%}
    {%- set dest_cols_csv = get_quoted_csv(
        dest_columns | map(attribute='name')
    ) -%}
    {%- for range in (
        [bounded_by ~ ' between cast(\'' ~ bounds[0] ~ '\' as ' ~ bounds[2]
            ~ ') and cast(\'' ~ bounds[1] ~ '\' as ' ~ bounds[2] ~ ')']
        if bounds[0] is not none else []
    ) + [bounded_by ~ ' is null'] %}
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
