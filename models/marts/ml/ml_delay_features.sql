{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('trusted_flight_days'), 'flight_date') }}",
    )
}}

{#
    The days that changed since the last run are replaced (the pre-hook
    first empties them, for a day all of whose flights are now cancelled or
    rejected); a new version of a plane changes every day.
#}
with changed_days as (
    select flight_date from {{ ref('trusted_flight_days') }}
    {% if is_incremental() %}
        where changed_at > {{ last_processed_at() }}
    {% endif %}
),

facts as (
    select * from {{ ref('fct_flights') }}
),

plane_dimension as (
    select * from {{ ref('dim_planes') }}
),

date_dimension as (
    select * from {{ ref('dim_dates') }}
),

{# Joined to the days, not `in (select ...)`: DuckDB hashes the days. #}
flights as (
    select facts.*
    from facts
    inner join changed_days
        on facts.flight_date = changed_days.flight_date
),

planes as (
    select
        plane_id,
        seat_count,
        engine_count,
        manufactured_year
    from plane_dimension
),

dates as (
    select
        date_id,
        month_number,
        day_of_week_number,
        is_weekend
    from date_dimension
),

{#
    Only what is known before the departure: the schedule, the aircraft and
    the weather observed at the origin in the scheduled hour. Delays, actual
    times and air time are outcomes and stay out.
#}
features as (
    select
        flights.flight_id,
        flights.airline_id,
        flights.origin_airport_id,
        flights.destination_airport_id,
        flights.distance_miles,
        cast(
            extract(hour from flights.scheduled_departure_at_local) as bigint
        ) as scheduled_departure_hour_local,
        dates.month_number,
        dates.day_of_week_number,
        planes.seat_count,
        planes.engine_count,
        cast(
            extract(year from flights.flight_date) - planes.manufactured_year
            as bigint
        ) as plane_age_years,
        flights.origin_temperature_fahrenheit,
        flights.origin_wind_speed_mph,
        flights.origin_visibility_miles,
        flights.origin_precipitation_inches,
        {{ hash_bucket('flights.flight_id', 100) }} as split_bucket,
        dates.is_weekend,
        flights.is_arrival_delayed,
        flights.flight_date,
        flights.scheduled_departure_at,
        {{ processed_at() }} as _processed_at
    from flights
    inner join dates
        on flights.flight_date = dates.date_id
    left join planes
        on flights.plane_id = planes.plane_id
    where not flights.is_cancelled and not flights.is_diverted
)

select * from features
order by flight_date
