{%- set rules = [
    {
        'id': 'airports_key_missing',
        'fails_when': 'airport_id is null',
        'reason': 'the FAA code is missing',
    },
    {
        'id': 'airports_invalid_coordinates',
        'fails_when': 'latitude not between -90 and 90'
            ~ ' or longitude not between -180 and 180',
        'reason': 'latitude or longitude out of range',
    },
    {
        'id': 'airports_time_zone_unknown',
        'fails_when': 'not ' ~ is_known_time_zone('time_zone'),
        'reason': 'the time zone is not a name the engine knows (IANA)',
    },
] -%}

with airport_versions as (
    select * from {{ ref('stg_airports__airports') }}
),

airport_versions_checked as (
    select
        *,
        {{ first_failing_rule(rules) }}
    from airport_versions
)

select * from airport_versions_checked
