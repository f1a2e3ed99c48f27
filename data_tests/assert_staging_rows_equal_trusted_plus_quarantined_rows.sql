{#-
    Conservation: every staging row ends either in trusted or in quarantine,
    never in both, never lost. Returns the sources where the counts disagree.
-#}
{%- set sources = [
    [
        'flights',
        'stg_flights__flights',
        'trusted_flights',
        'quarantine_flights',
    ],
    [
        'weather',
        'stg_weather__observations',
        'trusted_weather_observations',
        'quarantine_weather_observations',
    ],
    [
        'planes',
        'stg_planes__planes',
        'trusted_planes',
        'quarantine_planes',
    ],
    [
        'airports',
        'stg_airports__airports',
        'trusted_airports',
        'quarantine_airports',
    ],
    [
        'airlines',
        'stg_airlines__airlines',
        'trusted_airlines',
        'quarantine_airlines',
    ],
] -%}

with row_counts as (
    {%- for source_name, staging, trusted, quarantine in sources %}
        select
            '{{ source_name }}' as source_name,
            (
                select count(*) as row_count
                from {{ ref(staging) }}
            ) as staging_rows,
            (
                select count(*) as row_count
                from {{ ref(trusted) }}
            ) as trusted_rows,
            (
                select count(*) as row_count
                from {{ ref(quarantine) }}
            ) as quarantined_rows
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

unbalanced_sources as (
    select *
    from row_counts
    where staging_rows != trusted_rows + quarantined_rows
)

select * from unbalanced_sources
