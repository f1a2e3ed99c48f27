{{
    config(
        materialized=keyed_incremental(),
        unique_key='flight_id',
        key_bounded_by='flight_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_leaving_keys(rejected_keys(ref('int_flights_validated'), 'flight_id')) }}",
        ],
    )
}}

{#-
    Incremental: the flights trusted since the last run, and the flights of
    the hours whose weather at the origin arrived since, are replaced; a key
    whose latest version a rule now rejects is deleted (pre-hook).
-#}
-- depends_on: {{ ref('int_flights_validated') }}
with weather as (
    select
        airport_id,
        observed_at,
        temperature_fahrenheit,
        wind_speed_mph,
        visibility_miles,
        precipitation_inches,
        _processed_at
    from {{ ref('trusted_weather_observations') }}
),

new_weather as (
    select
        airport_id,
        observed_at
    from weather
    where {{ if_incremental(
        '_processed_at > ' ~ last_processed_at(), otherwise='false'
    ) }}
),

{#
    The flights of the hours whose weather arrived since (none on a full
    build) are read apart, union all rather than `or`, and bounded by those
    hours, so that the scan of the trusted flights skips the other blocks.
#}
flights as (
    select * from {{ ref('trusted_flights') }}
    where {{ if_incremental('_processed_at > ' ~ last_processed_at()) }}
    union all
    select earlier_flights.*
    from {{ ref('trusted_flights') }} as earlier_flights
    where
        {{ if_incremental(
            'earlier_flights._processed_at <= ' ~ last_processed_at(),
            otherwise='false',
        ) }}
        and earlier_flights.scheduled_departure_at >= (
            select min(new_weather.observed_at) as weather_starts_at
            from new_weather
        )
        and earlier_flights.scheduled_departure_at < (
            select {{ dbt.dateadd(
                'hour', 1, 'max(new_weather.observed_at)'
            ) }} as weather_ends_at
            from new_weather
        )
        and exists (
            select 1 as has_new_weather
            from new_weather
            where
                new_weather.airport_id = earlier_flights.origin_airport_id
                and new_weather.observed_at = {{ dbt.date_trunc(
                    'hour', 'earlier_flights.scheduled_departure_at'
                ) }}
        )
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
{{ key_bounded_order() }}
