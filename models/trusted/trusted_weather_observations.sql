{{
    config(
        materialized='incremental',
        unique_key='observed_date',
        partition_by=['observed_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('trusted_flight_days'), 'observed_date') }}",
    )
}}

{#
    The UTC days whose weather changed since the last run are changed
    flight days (trusted_flight_days): they are replaced whole (the pre-hook
    first empties them, for a day none of whose observations is valid any
    more).
#}
with changed_days as (
    select flight_date from {{ ref('trusted_flight_days') }}
    {% if is_incremental() %}
        where changed_at > {{ last_processed_at() }}
    {% endif %}
),

validated_observations as (
    select * from {{ ref('int_weather_observations_validated') }}
),

{# Joined to the days, not `in (select ...)`: DuckDB hashes the days. #}
observations_of_changed_days as (
    select validated_observations.*
    from validated_observations
    inner join changed_days
        on validated_observations.observed_date = changed_days.flight_date
    where validated_observations.rule_id is null
),

observations as (
    select
        observation_id,
        airport_id,
        temperature_fahrenheit,
        dew_point_fahrenheit,
        relative_humidity_percent,
        wind_direction_degrees,
        wind_speed_mph,
        wind_gust_mph,
        precipitation_inches,
        pressure_millibars,
        visibility_miles,
        observed_date_local,
        observed_date,
        observed_at,
        observed_at_local,
        _source_file,
        _file_sha256,
        _ingested_at,
        {{ processed_at() }} as _processed_at
    from observations_of_changed_days
)

select * from observations
order by observed_date
