{%- set rules = [
    {
        'id': 'airlines_key_missing',
        'fails_when': 'airline_id is null',
        'reason': 'the carrier code is missing',
    },
    {
        'id': 'airlines_name_missing',
        'fails_when': 'airline_name is null',
        'reason': 'the carrier name is missing',
    },
] -%}

with airline_versions as (
    select * from {{ ref('stg_airlines__airlines') }}
),

airline_versions_checked as (
    select
        *,
        {{ first_failing_rule(rules) }}
    from airline_versions
)

select * from airline_versions_checked
