{% snapshot snapshot_airlines %}

    {{
        config(
            unique_key='carrier',
            strategy='check',
            check_cols=['name'],
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
        where source = 'airlines' and status in ('landed', 'duplicate')
        order by received_at desc, file_id desc
        limit 1
    ),

    landed_rows as (
        select * from {{ ref('ldg_airlines__airlines') }}
    ),

    current_rows as (
        select
            extract_rows.carrier,
            extract_rows.name,
            latest_extract.original_name as _source_file,
            extract_rows._file_sha256,
            latest_extract.received_at as _received_at
        from landed_rows as extract_rows
        inner join latest_extract
            on extract_rows._file_sha256 = latest_extract.sha256
    )

    select * from current_rows

{% endsnapshot %}
