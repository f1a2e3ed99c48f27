{% snapshot snapshot_airports %}

    {{
        config(
            unique_key='faa',
            strategy='check',
            check_cols=['name', 'lat', 'lon', 'alt', 'tz', 'dst', 'tzone'],
            updated_at='_received_at',
            hard_deletes='invalidate',
        )
    }}

    {#-
        Each extract is the full register: the latest one received (landed, or
        a duplicate of an extract landed earlier) is the current state.
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
        where source = 'airports' and status in ('landed', 'duplicate')
        order by received_at desc, file_id desc
        limit 1
    ),

    landed_rows as (
        select * from {{ ref('ldg_airports__airports') }}
    ),

    current_rows as (
        select
            extract_rows.faa,
            extract_rows.name,
            extract_rows.lat,
            extract_rows.lon,
            extract_rows.alt,
            extract_rows.tz,
            extract_rows.dst,
            extract_rows.tzone,
            latest_extract.original_name as _source_file,
            extract_rows._file_sha256,
            latest_extract.received_at as _received_at
        from landed_rows as extract_rows
        inner join latest_extract
            on extract_rows._file_sha256 = latest_extract.sha256
    )

    select * from current_rows

{% endsnapshot %}
