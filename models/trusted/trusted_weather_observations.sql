with validated_observations as (
    select * from {{ ref('int_weather_observations_validated') }}
    where rule_id is null
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
        _ingested_at
    from validated_observations
)

select * from observations
