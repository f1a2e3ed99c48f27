{#- Rows of the landed files of one source not yet loaded, with lineage columns. -#}
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
    {%- set column_types -%}
        { {%- for column in columns -%}
            '{{ column.name }}': '{{ column.data_type | upper }}'
            {%- if not loop.last %}, {% endif -%}
        {%- endfor -%} }
    {%- endset -%}
    {%- if paths | length == 0 %}
    select
        {%- for column in columns %}
        cast(null as {{ column.data_type }}) as {{ column.name }},
        {%- endfor %}
        cast(null as varchar) as _source_file,
        cast(null as varchar) as _file_sha256,
        cast(null as timestamp) as _ingested_at
    where false
    {%- else %}
    select
        {%- for column in columns %}
        file_rows.{{ column.name }},
        {%- endfor %}
        files.original_name as _source_file,
        files.sha256 as _file_sha256,
        files.received_at as _ingested_at
    from
        {%- if landing.format == 'csv' %}
        read_csv(
            [{% for path in paths %}'{{ path }}'{{ ", " if not loop.last }}{% endfor %}],
            header = true,
            auto_detect = false,
            columns = {{ column_types }},
            filename = true
        ) as file_rows
        {%- else %}
        read_json(
            [{% for path in paths %}'{{ path }}'{{ ", " if not loop.last }}{% endfor %}],
            format = 'newline_delimited',
            columns = {{ column_types }},
            filename = true
        ) as file_rows
        {%- endif %}
    inner join {{ ingestion_log }} as files
        on
            parse_filename(file_rows.filename, true) = files.sha256
            and files.source = '{{ source_name }}'
            and files.status = 'landed'
    {%- endif %}
{%- endmacro %}
