{{
    config(
        materialized=keyed_incremental(),
        unique_key='flight_id',
        key_bounded_by='flight_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ delete_leaving_keys("
            ~ "rejected_keys(ref('int_flights_validated'), 'flight_id')"
            ~ " ~ ' union all select flight_id, flight_date from '"
            ~ " ~ ref('fct_flights') ~ ' where (is_cancelled or is_diverted)'"
            ~ " ~ ' and _processed_at > ' ~ last_processed_at()"
            ~ ") }}",
        ],
    )
}}

{#-
    Incremental: the flights whose facts changed since the last run are
    replaced; a new version of a plane recomputes every flight; flights now
    cancelled, diverted or rejected since leave (pre-hook).
-#}
-- depends_on: {{ ref('int_flights_validated') }}
-- depends_on: {{ ref('trusted_planes') }}
with flights as (
    select * from {{ ref('fct_flights') }}
    {%- if is_incremental() %}
        where
            _processed_at > {{ last_processed_at() }}
            or {{ references_changed_since(
                [ref('trusted_planes')], last_processed_at()
            ) }}
    {%- endif %}
),

planes as (
    select
        plane_id,
        seat_count,
        engine_count,
        manufactured_year
    from {{ ref('dim_planes') }}
),

dates as (
    select
        date_id,
        month_number,
        day_of_week_number,
        is_weekend
    from {{ ref('dim_dates') }}
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
{{ key_bounded_order() }}
