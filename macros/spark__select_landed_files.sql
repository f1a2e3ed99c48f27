{#- Spark: the landed files through a temporary view, typed as declared. -#}
{#-
    The files are read through a temporary view with the declared schema
    (a Hadoop glob `{a,b}` lists the files to read only); the file's SHA-256
    is its name, joined to the ingestion log for the lineage columns.
    Double columns are read as text and cast by SQL: Spark's CSV and JSON
    readers fail a whole file on spellings DuckDB and ingest accept (`inf`,
    `nan`, a quoted "inf"), its SQL cast reads them all; staging then
    quarantines the values that are not finite numbers.
-#}
{% macro spark__select_landed_files(
    source_name, columns, file_format, landed_paths, ingestion_log
) -%}
    {%- set file_names = [] -%}
    {%- for path in landed_paths -%}
        {%- do file_names.append(path.split('/')[-1]) -%}
    {%- endfor -%}
    {%- set view = 'landed_' ~ source_name -%}
    {%- set read_as_text = [] -%}
    {%- for column in columns -%}
        {%- if column.data_type | lower in ('double', 'float', 'real') -%}
            {%- do read_as_text.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set files_glob = file_names[0] if file_names | length == 1
        else '{' ~ file_names | join(',') ~ '}' -%}
    {%- set files_path = var('data_dir') ~ '/landing/' ~ source_name
        ~ '/' ~ files_glob -%}
    {%- set create_view -%}
        create or replace temporary view {{ view }} (
            {%- for column in columns %}
            {{ column.name }}
            {{ 'string' if column.name in read_as_text
                else landing_type(column.data_type) }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        )
        using {{ 'csv' if file_format == 'csv' else 'json' }}
        options (
            path {{ sql_string(files_path) }},
            {%- if file_format == 'csv' %}
            header 'true',
            quote '"',
            escape '"',
            {%- endif %}
            mode 'FAILFAST'
        )
    {%- endset -%}
    {%- do run_query(create_view) -%}
    select
        {{ landed_columns(columns) }}
    from (
        select
            {%- for column in columns %}
            {%- if column.name in read_as_text %}
            cast({{ column.name }} as double) as {{ column.name }},
            {%- else %}
            {{ column.name }},
            {%- endif %}
            {%- endfor %}
            regexp_extract(input_file_name(), '([0-9a-f]{64})[.][a-z]+$', 1)
                as file_sha256
        from {{ view }}
    ) as file_rows
    inner join {{ ingestion_log }} as files
        on
            file_rows.file_sha256 = files.sha256
            and files.source = {{ sql_string(source_name) }}
            and files.status = 'landed'
{%- endmacro %}
