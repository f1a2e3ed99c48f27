{#- Versions (SCD2 rows) of a reference register, as its snapshot has them. -#}
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

{% macro spark__reference_versions(
    snapshot_name, source_name, table_name, landed_model, unique_key
) -%}
    {%- set columns = graph.sources[
        'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name
    ].columns.keys() | list if execute else [] -%}
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
