{#- Versions (SCD2 rows) of a reference register, as its snapshot has them. -#}
{#-
    snapshot_name: the snapshot of the register (DuckDB);
    source_name, table_name: its source; landed_model: its landing model;
    unique_key: the register's key column.
-#}
{% macro reference_versions(
    snapshot_name, source_name, table_name, landed_model, unique_key
) -%}
    {{ return(adapter.dispatch('reference_versions')(
        snapshot_name, source_name, table_name, landed_model, unique_key
    )) }}
{%- endmacro %}

{% macro default__reference_versions(
    snapshot_name, source_name, table_name, landed_model, unique_key
) -%}
    select * from {{ ref(snapshot_name) }}
{%- endmacro %}

{#-
    Spark has no snapshots here (they need a table format such as Iceberg,
    Delta or Hudi): the register's versions are the rows of the latest
    extract received, each valid from its receipt and still current, with
    the key and validity columns a snapshot's first run would give them.
-#}
{% macro spark__reference_versions(
    snapshot_name, source_name, table_name, landed_model, unique_key
) -%}
    {#- The graph, and so the declared columns, exist only at execution. -#}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set columns = graph.sources[
            'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name
        ].columns.keys() | list -%}
    {%- endif -%}
    select
        current_extract.*,
        md5(
            coalesce(cast({{ unique_key }} as string), '')
            || '|'
            || coalesce(cast(_received_at as string), '')
        ) as dbt_scd_id,
        _received_at as dbt_updated_at,
        _received_at as dbt_valid_from,
        cast(null as timestamp) as dbt_valid_to
    from (
        {{ latest_extract_rows(source_name, ref(landed_model), columns) }}
    ) as current_extract
{%- endmacro %}
