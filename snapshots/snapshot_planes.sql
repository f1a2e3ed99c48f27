{% snapshot snapshot_planes %}

    {{
        config(
            unique_key='tailnum',
            strategy='check',
            check_cols=[
                'year', 'type', 'manufacturer', 'model', 'engines', 'seats',
                'speed', 'engine',
            ],
            updated_at='_received_at',
            hard_deletes='invalidate',
        )
    }}

    {{ latest_extract_rows(
        'planes',
        ref('ldg_planes__planes'),
        [
            'tailnum', 'year', 'type', 'manufacturer', 'model', 'engines', 'seats',
            'speed', 'engine',
        ],
    ) }}

{% endsnapshot %}
