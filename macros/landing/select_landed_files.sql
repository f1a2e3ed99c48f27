{#- DuckDB: read_csv / read_json over the landed files, typed as declared. -#}
{% macro duckdb__select_landed_files(
    source_name, columns, file_format, landed_paths, ingestion_log
) -%}
    select
        {%- for column in columns %}
        file_rows.{{ column.name }},
        {%- endfor %}
        files.original_name as _source_file,
        files.sha256 as _file_sha256,
        files.received_at as _ingested_at
    from
        {{ 'read_csv' if file_format == 'csv' else 'read_json' }}(
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
                {{ sql_string(column.name) }}:
                {{- ' ' ~ sql_string(column.data_type | upper) }}
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
