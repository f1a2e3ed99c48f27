{#- Rows of one source's landed files not yet loaded, with lineage columns. -#}
{% macro read_landed_files(source_name, table_name) -%}
    {{ return(adapter.dispatch('read_landed_files')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__read_landed_files(source_name, table_name) -%}
    {{ exceptions.raise_compiler_error(
        "read_landed_files has no implementation for adapter " ~ adapter.type()
    ) }}
{%- endmacro %}

{% macro duckdb__read_landed_files(source_name, table_name) -%}
    {%- set feed = source(source_name, table_name) -%}
    {%- set ingestion_log = source('ingestion', 'ingested_files') -%}
    {%- if not execute -%}
        {{ return('select 1 as parsing_only') }}
    {%- endif -%}
    {%- set node = graph.sources[
        'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name
    ] -%}
    {%- set landing = node.config.meta.landing -%}
    {%- set columns = node.columns.values() | list -%}
    {%- set paths = [] -%}
    {%- set new_files -%}
        select landed_path
        from {{ ingestion_log }}
        where source = '{{ source_name }}' and status = 'landed'
        {%- if is_incremental() %}
            and sha256 not in (select distinct _file_sha256 from {{ this }})
        {%- endif %}
        order by received_at, landed_path
    {%- endset -%}
    {#- Before the first ingest there is no log yet: nothing has landed. -#}
    {%- set log_relation = adapter.get_relation(
        database=ingestion_log.database,
        schema=ingestion_log.schema,
        identifier=ingestion_log.identifier,
    ) -%}
    {%- if log_relation is not none -%}
        {%- for row in run_query(new_files) -%}
            {%- do paths.append(var('data_dir') ~ '/' ~ row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set reader = 'read_csv' if landing.format == 'csv' else 'read_json' -%}
    {%- if paths | length == 0 -%}
    select
        {%- for column in columns %}
        cast(null as {{ column.data_type }}) as {{ column.name }},
        {%- endfor %}
        cast(null as varchar) as _source_file,
        cast(null as varchar) as _file_sha256,
        cast(null as timestamp) as _ingested_at
    where false
    {%- else -%}
    select
        {%- for column in columns %}
        file_rows.{{ column.name }},
        {%- endfor %}
        files.original_name as _source_file,
        files.sha256 as _file_sha256,
        files.received_at as _ingested_at
    from
        {{ reader }}(
            [
                {%- for path in paths %}
                '{{ path }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ],
            {%- if landing.format == 'csv' %}
            header = true,
            auto_detect = false,
            {%- else %}
            format = 'newline_delimited',
            {%- endif %}
            columns = {
                {%- for column in columns %}
                '{{ column.name }}': '{{ column.data_type | upper }}'
                {{- ',' if not loop.last }}
                {%- endfor %}
            },
            filename = true
        ) as file_rows
    inner join {{ ingestion_log }} as files
        on
            parse_filename(file_rows.filename, true) = files.sha256
            and files.source = '{{ source_name }}'
            and files.status = 'landed'
    {%- endif %}
{%- endmacro %}
