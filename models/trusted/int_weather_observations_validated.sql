{{
    config(
        materialized=keyed_incremental(),
        unique_key='observation_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set max_wind = var('max_plausible_wind_speed_mph') -%}
{%- set rules = [
    {
        'id': 'weather_key_missing',
        'fails_when': 'airport_id is null or observed_at is null',
        'reason': 'the airport or the observation hour is missing',
    },
    {
        'id': 'weather_superseded',
        'fails_when': 'version_rank > 1',
        'reason': 'superseded by the same observation in a file received later',
    },
    {
        'id': 'weather_implausible_wind_speed',
        'fails_when': 'wind_speed_mph > ' ~ max_wind
            ~ ' or wind_gust_mph > ' ~ max_wind,
        'reason': 'wind speed or gust above ' ~ max_wind ~ ' mph',
    },
    {
        'id': 'weather_implausible_reading',
        'fails_when': 'temperature_fahrenheit not between -80 and 140'
            ~ ' or relative_humidity_percent not between 0 and 100'
            ~ ' or pressure_millibars not between 870 and 1090'
            ~ ' or visibility_miles < 0 or precipitation_inches < 0'
            ~ ' or wind_direction_degrees not between 0 and 360',
        'reason': 'a reading is outside its physical range',
    },
] -%}

{#-
    Incremental: only the rows of files not validated yet are read, with the
    versions already validated of the keys they send again, so that the
    latest file still wins; those keys are replaced (delete+insert).
-#}
with new_observations as (
    select staged.*
    from {{ ref('stg_weather__observations') }} as staged
    {%- if is_incremental() %}
        where staged._file_sha256 not in (
            select distinct validated._file_sha256 from {{ this }} as validated
        )
    {%- endif %}
),

known_versions as (
    {%- if is_incremental() %}
        select {{ column_names(ref('stg_weather__observations')) }}
        from {{ this }} as validated
        where validated.observation_id in (
            select new_observations.observation_id from new_observations
        )
    {%- else %}
        select * from new_observations
        where false
    {%- endif %}
),

observations as (
    select * from new_observations
    union all
    select * from known_versions
),

{#
    Latest file wins: an hour sent again in a later file replaces the
    earlier row.
#}
observations_ranked as (
    select
        *,
        row_number() over (
            partition by observation_id
            order by _ingested_at desc, _file_sha256 desc
        ) as version_rank
    from observations
),

observations_checked as (
    select
        *,
        {{ first_failing_rule(rules) }},
        {{ processed_at() }} as _processed_at
    from observations_ranked
)

select * from observations_checked
