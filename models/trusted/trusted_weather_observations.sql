{{
    config(
        materialized=keyed_incremental(),
        unique_key='observation_id',
        key_bounded_by='observed_at',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_leaving_keys(rejected_keys(ref('int_weather_observations_validated'), 'observation_id')) }}",
        ],
    )
}}

{#-
    Incremental: the keys validated since the last run are replaced; a key
    whose latest version a rule now rejects is deleted (pre-hook).
-#}
with validated_observations as (
    select * from {{ ref('int_weather_observations_validated') }}
    where
        rule_id is null
        and {{ if_incremental('_processed_at > ' ~ last_processed_at()) }}
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
        observed_at,
        observed_at_local,
        _source_file,
        _file_sha256,
        _ingested_at,
        {{ processed_at() }} as _processed_at
    from validated_observations
)

select * from observations
