{#- Spark: the landed files through a temporary view, typed as declared. -#}
{% macro spark__select_landed_files(
    source_name, columns, file_format, landed_paths, ingestion_log
) -%}
    {%- set folder = 'landing/' ~ source_name ~ '/' -%}
    {%- set names = landed_paths | map('replace', folder, '') | list -%}
    {%- set view = 'landed_' ~ source_name -%}
    {#- doubles are read as text and cast by SQL, which reads inf and nan -#}
    {%- set as_text = columns
        | selectattr('data_type', 'in', ['double', 'float', 'real'])
        | map(attribute='name') | list -%}
    {%- set create_view -%}
        create or replace temporary view {{ view }} (
            {%- for column in columns %}
            {{ column.name }}
            {{ 'string' if column.name in as_text
                else landing_type(column.data_type) }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        )
        using {{ 'csv' if file_format == 'csv' else 'json' }}
        options (
            path {{ sql_string(var('data_dir') ~ '/' ~ folder ~ (
                names[0] if names | length == 1
                else '{' ~ names | join(',') ~ '}'
            )) }},
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
        {%- for column in columns %}
        file_rows.{{ column.name }},
        {%- endfor %}
        files.original_name as _source_file,
        files.sha256 as _file_sha256,
        files.received_at as _ingested_at
    from (
        select
            {%- for column in columns %}
            {%- if column.name in as_text %}
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
