{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('trusted_flight_days'), 'flight_date') }}",
    )
}}

{#
    The days that changed since the last run are replaced whole (the
    pre-hook first empties them, for a day none of whose flights is trusted
    any more), with the days a change of weather reaches
    (trusted_flight_days).
#}
with changed_days as (
    select flight_date from {{ ref('trusted_flight_days') }}
    {% if is_incremental() %}
        where changed_at > {{ last_processed_at() }}
    {% endif %}
),

trusted_flights as (
    select * from {{ ref('trusted_flights') }}
),

weather as (
    select
        airport_id,
        observed_at,
        temperature_fahrenheit,
        wind_speed_mph,
        visibility_miles,
        precipitation_inches
    from {{ ref('trusted_weather_observations') }}
),

{# Joined to the days, not `in (select ...)`: DuckDB hashes the days. #}
flights as (
    select trusted_flights.*
    from trusted_flights
    inner join changed_days
        on trusted_flights.flight_date = changed_days.flight_date
),

{# Weather at the origin in the hour of the scheduled departure (UTC). #}
flights_joined_to_weather as (
    select
        flights.*,
        weather.temperature_fahrenheit as origin_temperature_fahrenheit,
        weather.wind_speed_mph as origin_wind_speed_mph,
        weather.visibility_miles as origin_visibility_miles,
        weather.precipitation_inches as origin_precipitation_inches,
        weather.airport_id is not null as has_origin_weather
    from flights
    left join weather
        on
            flights.origin_airport_id = weather.airport_id
            and {{ dbt.date_trunc('hour', 'flights.scheduled_departure_at') }}
            = weather.observed_at
),

final as (
    select
        flight_id,
        airline_id,
        plane_id,
        origin_airport_id,
        destination_airport_id,
        flight_number,
        departure_delay_minutes,
        arrival_delay_minutes,
        air_time_minutes,
        distance_miles,
        origin_temperature_fahrenheit,
        origin_wind_speed_mph,
        origin_visibility_miles,
        origin_precipitation_inches,
        is_cancelled,
        is_diverted,
        case
            when is_cancelled or is_diverted then null
            else arrival_delay_minutes > {{ var('delay_threshold_minutes') }}
        end as is_arrival_delayed,
        has_registered_plane,
        has_registered_destination,
        has_origin_weather,
        flight_date,
        scheduled_departure_at,
        scheduled_departure_at_local,
        departed_at,
        departed_at_local,
        scheduled_arrival_at,
        scheduled_arrival_at_local,
        arrived_at,
        arrived_at_local,
        {{ processed_at() }} as _processed_at
    from flights_joined_to_weather
)

select * from final
order by flight_date
