{%- set rules = [
    {
        'id': 'planes_key_missing',
        'fails_when': 'plane_id is null',
        'reason': 'the tail number is missing',
    },
    {
        'id': 'planes_number_invalid',
        'fails_when': 'invalid_number_columns is not null',
        'reason': 'the cruising speed is not a finite number'
            ~ ' (see invalid_number_columns)',
    },
    {
        'id': 'planes_implausible_attribute',
        'fails_when': 'seat_count not between 1 and 1000'
            ~ ' or engine_count not between 0 and 8'
            ~ ' or manufactured_year < 1903',
        'reason': 'seats, engines or year of manufacture out of range',
    },
] -%}

with plane_versions as (
    select * from {{ ref('stg_planes__planes') }}
),

plane_versions_checked as (
    select
        *,
        {{ first_failing_rule(rules) }}
    from plane_versions
)

select * from plane_versions_checked
