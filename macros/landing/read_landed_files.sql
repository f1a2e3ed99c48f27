{#- Rows of one source's landed files not yet loaded, with lineage. -#}
{% macro read_landed_files(source_name, table_name) -%}
    {%- set feed = source(source_name, table_name) -%}
    {%- set ingestion_log = source('ingestion', 'ingested_files') -%}
    {%- if not execute -%}
        {{ return('select 1 as parsing_only') }}
    {%- endif -%}
    {%- set node = graph.sources[
        'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name
    ] -%}
    {%- set columns = node.columns.values() | list -%}
    {%- set new_files -%}
        select landed_path
        from {{ ingestion_log }}
        where source = {{ sql_string(source_name) }} and status = 'landed'
        {%- if is_incremental() %}
            and sha256 not in (select distinct _file_sha256 from {{ this }})
        {%- endif %}
        order by received_at, landed_path
    {%- endset -%}
    {#- Before the first ingest a DuckDB target has no log: nothing landed -#}
    {%- set paths = [] if target.type == 'duckdb' and adapter.get_relation(
        database=ingestion_log.database,
        schema=ingestion_log.schema,
        identifier=ingestion_log.identifier,
    ) is none else run_query(new_files).columns[0].values() | list -%}
    {%- if paths -%}
        {{ adapter.dispatch('select_landed_files')(
            source_name, columns, node.config.meta.landing.format, paths,
            ingestion_log,
        ) }}
    {%- else -%}
        select
        {%- for column in columns %}
            cast(null as {{ landing_type(column.data_type) }})
                as {{ column.name }},
        {%- endfor %}
            cast(null as {{ dbt.type_string() }}) as _source_file,
            cast(null as {{ dbt.type_string() }}) as _file_sha256,
            cast(null as {{ dbt.type_timestamp() }}) as _ingested_at
        where false
    {%- endif %}
{%- endmacro %}
