{#- Rows of the latest full extract received for a reference source. -#}
{% macro latest_extract_rows(source_name, landed_rows, columns) -%}
    with received_files as (
        select * from {{ ref('ldg_ingestion__ingested_files') }}
    ),

    landed_rows as (
        select * from {{ landed_rows }}
    ),

    {# The latest extract received, landed or a duplicate of an earlier one. #}
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

    {#
        One row per key: the first by the other columns, on every run. An
        empty key is '' (staging reads it as missing and trusted quarantines
        it): a null would match no snapshot row, and be inserted again and
        invalidated on every run.
    #}
    extract_rows_ranked as (
        select
            coalesce(extract_rows.{{ columns[0] }}, '') as {{ columns[0] }},
            {%- for column in columns[1:] %}
            extract_rows.{{ column }},
            {%- endfor %}
            latest_extract.original_name as _source_file,
            extract_rows._file_sha256,
            latest_extract.received_at as _received_at,
            row_number() over (
                partition by coalesce(extract_rows.{{ columns[0] }}, '')
                order by
                    {%- for column in columns[1:] %}
                    extract_rows.{{ column }} asc nulls last
                    {{- ',' if not loop.last }}
                    {%- endfor %}
            ) as row_of_key
        from landed_rows as extract_rows
        inner join latest_extract
            on extract_rows._file_sha256 = latest_extract.sha256
    )

    select {{ star_except(['row_of_key']) }}
    from extract_rows_ranked
    where row_of_key = 1
{%- endmacro %}
