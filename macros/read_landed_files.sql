{#- Rows of one source's landed files not yet loaded, with lineage. -#}
{#-
    The files to read are listed from the ingestion log: every landed file
    of the source on a full build, those the calling model has not loaded
    yet on an incremental run. With nothing to read, an empty select typed
    like the source; otherwise the engine's `select_landed_files` reads them.
-#}
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
    {%- set landed_paths = [] -%}
    {%- set new_files -%}
        select landed_path
        from {{ ingestion_log }}
        where source = {{ sql_string(source_name) }} and status = 'landed'
        {%- if is_incremental() %}
            and sha256 not in (select distinct _file_sha256 from {{ this }})
        {%- endif %}
        order by received_at, landed_path
    {%- endset -%}
    {%- if adapter.dispatch('ingestion_log_exists')(ingestion_log) -%}
        {%- for row in run_query(new_files) -%}
            {%- do landed_paths.append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if landed_paths | length == 0 -%}
    select
        {%- for column in columns %}
        cast(null as {{ landing_type(column.data_type) }}) as {{ column.name }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as {{ dbt.type_string() }}) as _file_sha256,
        cast(null as {{ dbt.type_timestamp() }}) as _ingested_at
    where false
    {%- else -%}
    {{ adapter.dispatch('select_landed_files')(
        source_name, columns, node.config.meta.landing.format, landed_paths,
        ingestion_log,
    ) }}
    {%- endif %}
{%- endmacro %}

{#- The declared columns of the files' rows, then the lineage columns. -#}
{% macro landed_columns(columns) -%}
    {%- for column in columns %}
    file_rows.{{ column.name }},
    {%- endfor %}
    files.original_name as _source_file,
    files.sha256 as _file_sha256,
    files.received_at as _ingested_at
{%- endmacro %}

{#- Whether the ingestion log can be read. -#}
{% macro default__ingestion_log_exists(ingestion_log) -%}
    {#- Spark: the run-start hook register_ingestion_log maps it. -#}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__ingestion_log_exists(ingestion_log) -%}
    {#- Before the first ingest there is no log yet: nothing has landed. -#}
    {%- set log_relation = adapter.get_relation(
        database=ingestion_log.database,
        schema=ingestion_log.schema,
        identifier=ingestion_log.identifier,
    ) -%}
    {{ return(log_relation is not none) }}
{%- endmacro %}

{% macro default__select_landed_files(
    source_name, columns, file_format, landed_paths, ingestion_log
) -%}
    {{ exceptions.raise_compiler_error(
        "read_landed_files has no implementation for adapter " ~ adapter.type()
    ) }}
{%- endmacro %}

{#- DuckDB: read_csv / read_json over the files, typed as declared. -#}
{% macro duckdb__select_landed_files(
    source_name, columns, file_format, landed_paths, ingestion_log
) -%}
    {%- set reader = 'read_csv' if file_format == 'csv' else 'read_json' -%}
    select
        {{ landed_columns(columns) }}
    from
        {{ reader }}(
            [
                {%- for path in landed_paths %}
                {{ sql_string(var('data_dir') ~ '/' ~ path) }}
                {{- ',' if not loop.last }}
                {%- endfor %}
            ],
            {%- if file_format == 'csv' %}
            header = true,
            auto_detect = false,
            {%- else %}
            format = 'newline_delimited',
            {%- endif %}
            columns = {
                {%- for column in columns %}
                {%- set column_type = column.data_type | upper %}
                {{ sql_string(column.name) }}: {{ sql_string(column_type) }}
                {{- ',' if not loop.last }}
                {%- endfor %}
            },
            filename = true
        ) as file_rows
    inner join {{ ingestion_log }} as files
        on
            parse_filename(file_rows.filename, true) = files.sha256
            and files.source = {{ sql_string(source_name) }}
            and files.status = 'landed'
{%- endmacro %}
