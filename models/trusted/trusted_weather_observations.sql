{{
    config(
        materialized='incremental',
        unique_key='observed_date',
        partition_by=['observed_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('int_weather_observations_validated'), 'observed_date') }}",
    )
}}

with validated_observations as (
    select * from {{ ref('int_weather_observations_validated') }}
),

validated_days as (
    select
        observed_date,
        _processed_at
    from {{ ref('int_weather_observations_validated') }}
),

{#
    The UTC days with an observation validated since the last run are
    replaced whole (the pre-hook first empties them, for a day none of whose
    observations is valid any more).
#}
changed_days as (
    select distinct observed_date
    from validated_days
    {%- if is_incremental() %}
        where _processed_at > {{ last_processed_at() }}
    {%- endif %}
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
    from validated_observations
    where
        rule_id is null
        and observed_date in (
            select changed_days.observed_date from changed_days
        )
)

select * from observations
order by observed_date
