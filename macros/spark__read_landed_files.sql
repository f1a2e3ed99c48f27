{#- Spark: rows of one source's landed files not yet loaded, with lineage. -#}
{#-
    The files are read through a temporary view with the declared schema
    (a Hadoop glob `{a,b}` lists the new files only); the file's SHA-256 is
    its name, joined to the ingestion log for the lineage columns.
-#}
{% macro spark__read_landed_files(source_name, table_name) -%}
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
    {%- set file_names = [] -%}
    {%- set new_files -%}
        select landed_path
        from {{ ingestion_log }}
        where source = '{{ source_name }}' and status = 'landed'
        {%- if is_incremental() %}
            and sha256 not in (select distinct _file_sha256 from {{ this }})
        {%- endif %}
        order by received_at, landed_path
    {%- endset -%}
    {%- for row in run_query(new_files) -%}
        {%- do file_names.append(row[0].split('/')[-1]) -%}
    {%- endfor -%}
    {%- if file_names | length == 0 -%}
    select
        {%- for column in columns %}
        cast(null as {{ spark_type(column.data_type) }}) as {{ column.name }},
        {%- endfor %}
        cast(null as string) as _source_file,
        cast(null as string) as _file_sha256,
        cast(null as timestamp) as _ingested_at
    where false
    {%- else -%}
    {%- set view = 'landed_' ~ source_name ~ '__' ~ table_name -%}
    {%- set create_view -%}
        create or replace temporary view {{ view }} (
            {%- for column in columns %}
            {{ column.name }} {{ spark_type(column.data_type) }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        )
        using {{ 'csv' if landing.format == 'csv' else 'json' }}
        options (
            path '{{ var("data_dir") }}/landing/{{ source_name }}/
                {{- file_names[0] if file_names | length == 1
                    else '{' ~ file_names | join(',') ~ '}' }}',
            {%- if landing.format == 'csv' %}
            header 'true',
            quote '"',
            escape '"',
            {%- endif %}
            mode 'FAILFAST'
        )
    {%- endset -%}
    {%- do run_query(create_view) -%}
    select
        {%- for column in columns %}
        file_rows.{{ column.name }},
        {%- endfor %}
        files.original_name as _source_file,
        files.sha256 as _file_sha256,
        files.received_at as _ingested_at
    from (
        select
            *,
            regexp_extract(input_file_name(), '([0-9a-f]{64})[.][a-z]+$', 1)
                as file_sha256
        from {{ view }}
    ) as file_rows
    inner join {{ ingestion_log }} as files
        on
            file_rows.file_sha256 = files.sha256
            and files.source = '{{ source_name }}'
            and files.status = 'landed'
    {%- endif %}
{%- endmacro %}
