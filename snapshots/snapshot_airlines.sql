{% snapshot snapshot_airlines %}

    {{
        config(
            unique_key='carrier',
            strategy='check',
            check_cols=[
                'name',
            ],
            updated_at='_received_at',
            hard_deletes='invalidate',
        )
    }}

    {{ latest_extract_rows(
        'airlines',
        ref('ldg_airlines__airlines'),
        [
            'carrier', 'name',
        ],
    ) }}

{% endsnapshot %}
