{% snapshot snapshot_airports %}

    {{
        config(
            unique_key='faa',
            strategy='check',
            check_cols=[
                'name', 'lat', 'lon', 'alt', 'tz', 'dst', 'tzone',
            ],
            updated_at='_received_at',
            hard_deletes='invalidate',
        )
    }}

    {{ latest_extract_rows(
        'airports',
        ref('ldg_airports__airports'),
        [
            'faa', 'name', 'lat', 'lon', 'alt', 'tz', 'dst', 'tzone',
        ],
    ) }}

{% endsnapshot %}
