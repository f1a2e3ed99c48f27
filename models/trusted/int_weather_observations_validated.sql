{{
    config(
        materialized=keyed_incremental(),
        unique_key='observation_id',
        key_bounded_by='observed_at',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set max_wind = var('max_plausible_wind_speed_mph') -%}
{%- set rules = [
    {
        'id': 'weather_key_missing',
        'fails_when': 'airport_id is null or observed_at is null'
            ~ ' or observed_date_local is null',
        'reason': 'the airport or the observation hour is missing or no valid'
            ~ ' date or time (a month 13, an unreadable time_hour)',
    },
    {
        'id': 'weather_duplicate_in_file',
        'fails_when': 'is_duplicate_in_file',
        'reason': 'another row of the same file holds the same observation',
    },
    {
        'id': 'weather_superseded',
        'fails_when': 'version_rank > 1',
        'reason': 'superseded by the same observation in a file received later',
    },
    {
        'id': 'weather_number_invalid',
        'fails_when': 'invalid_number_columns is not null',
        'reason': 'a reading is not a finite number'
            ~ ' (see invalid_number_columns)',
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
    Incremental: see ranked_versions (latest file wins; within a file, the
    first row by the other columns).
-#}
with observations_ranked as (
    {{ ranked_versions(ref('stg_weather__observations'), 'observation_id') }}
),

observations_checked as (
    select
        *,
        {{ first_failing_rule(rules) }},
        {{ processed_at() }} as _processed_at
    from observations_ranked
)

select * from observations_checked
