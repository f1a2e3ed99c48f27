{#- Rows of the latest full extract received for a reference source. -#}
{% macro latest_extract_rows(source_name, landed_rows, columns) -%}
    {#-
        Each extract is the full register: the latest one received (landed,
        or a duplicate of an extract landed earlier) is the current state.
    -#}
    with received_files as (
        select * from {{ ref('ldg_ingestion__ingested_files') }}
    ),

    latest_extract as (
        select
            sha256,
            original_name,
            received_at
        from received_files
        where
            source = '{{ source_name }}'
            and status in ('landed', 'duplicate')
        order by received_at desc, file_id desc
        limit 1
    ),

    landed_rows as (
        select * from {{ landed_rows }}
    ),

    extract_rows_ranked as (
        select
            {%- for column in columns %}
            extract_rows.{{ column }},
            {%- endfor %}
            latest_extract.original_name as _source_file,
            extract_rows._file_sha256,
            latest_extract.received_at as _received_at,
            row_number() over (
                partition by extract_rows.{{ columns[0] }}
                order by
                    {%- for column in columns[1:] %}
                    extract_rows.{{ column }} asc nulls last
                    {{- ',' if not loop.last }}
                    {%- endfor %}
            ) as row_of_key
        from landed_rows as extract_rows
        inner join latest_extract
            on extract_rows._file_sha256 = latest_extract.sha256
    ),

    {#-
        An extract that repeats a key (the landing model's warn test counts
        the repeated rows, which stay in landing): one row per key, the
        first by the other columns, the same on every run, so that the
        snapshot's key stays unique.
    #}
    current_rows as (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            _source_file,
            _file_sha256,
            _received_at
        from extract_rows_ranked
        where row_of_key = 1
    )

    select * from current_rows
{%- endmacro %}
