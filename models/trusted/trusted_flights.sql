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
    pre-hook first empties them, for a day none of whose flights is valid
    any more).
#}
with changed_days as (
    select flight_date from {{ ref('trusted_flight_days') }}
    {% if is_incremental() %}
        where changed_at > {{ last_processed_at() }}
    {% endif %}
),

validated_flights as (
    select * from {{ ref('int_flights_validated') }}
),

airport_versions as (
    select * from {{ ref('trusted_airports') }}
),

plane_versions as (
    select * from {{ ref('trusted_planes') }}
),

{# Joined to the days, not `in (select ...)`: DuckDB hashes the days. #}
flights_of_changed_days as (
    select validated_flights.*
    from validated_flights
    inner join changed_days
        on validated_flights.flight_date = changed_days.flight_date
    where validated_flights.rule_id is null
),

airports as (
    select
        airport_id,
        time_zone
    from airport_versions
    where is_current
),

planes as (
    select plane_id
    from plane_versions
    where is_current
),

{#
    Departure times come in UTC with the source (the scheduled hour); arrival
    times are local to the destination: the destination's time zone turns
    them into UTC, and they stay unknown where the airport is not registered.
    An arrival clock time earlier than the departure's is on the next day.
#}
flights_timed as (
    select
        flights.*,
        {{ dbt.dateadd(
            'minute',
            'flights.scheduled_departure_time_hhmm % 100',
            'flights.scheduled_departure_hour_at'
        ) }} as scheduled_departure_at,
        {{ dbt.dateadd(
            'minute',
            minutes_after_midnight('flights.scheduled_arrival_time_hhmm')
            ~ ' + case when flights.scheduled_arrival_time_hhmm'
            ~ ' < flights.scheduled_departure_time_hhmm'
            ~ ' then 1440 else 0 end',
            'cast(flights.flight_date as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as arrival_clock_at_local,
        origin_airports.time_zone as origin_time_zone,
        destination_airports.time_zone as destination_time_zone,
        destination_airports.airport_id is not null
            as has_registered_destination,
        planes.plane_id is not null as has_registered_plane
    from flights_of_changed_days as flights
    left join airports as origin_airports
        on flights.origin_airport_id = origin_airports.airport_id
    left join airports as destination_airports
        on flights.destination_airport_id = destination_airports.airport_id
    left join planes
        on flights.plane_id = planes.plane_id
),

{#
    The scheduled arrival is the first time after the departure that the
    destination's clocks show the scheduled arrival time: the clock rule
    above, moved on by whole days where it would land at or before the
    departure (a short flight east into a later time zone). Computed so,
    it is after the departure whatever the source sends.
#}
flights_arrival_clocked as (
    select
        *,
        {{ local_to_utc('arrival_clock_at_local', 'destination_time_zone') }}
            as arrival_clock_at
    from flights_timed
),

flights_arrival_placed as (
    select
        *,
        case
            when arrival_clock_at <= scheduled_departure_at
                then cast(floor({{ dbt.datediff(
                    'arrival_clock_at', 'scheduled_departure_at', 'minute'
                ) }} / 1440) as integer) + 1
            else 0
        end as arrival_days_later
    from flights_arrival_clocked
),

flights_arrival_dated as (
    select
        *,
        {{ dbt.dateadd(
            'day', 'arrival_days_later', 'arrival_clock_at_local'
        ) }} as scheduled_arrival_at_local,
        {{ dbt.dateadd(
            'day', 'arrival_days_later', 'arrival_clock_at'
        ) }} as scheduled_arrival_at
    from flights_arrival_placed
),

{#
    Actual times are the scheduled ones plus the delay, in UTC; their local
    times are read off the local clocks (a time inside a daylight-saving gap
    never results), and added to the local time where the time zone is
    unknown.
#}
flights_actual_timed as (
    select
        *,
        {{ dbt.dateadd(
            'minute', 'departure_delay_minutes', 'scheduled_departure_at'
        ) }} as departed_at,
        {{ dbt.dateadd(
            'minute', 'arrival_delay_minutes', 'scheduled_arrival_at'
        ) }} as arrived_at
    from flights_arrival_dated
),

flights_completed as (
    select
        flight_id,
        airline_id,
        plane_id,
        origin_airport_id,
        destination_airport_id,
        destination_time_zone,
        flight_number,
        scheduled_departure_time_hhmm,
        departure_time_hhmm,
        scheduled_arrival_time_hhmm,
        arrival_time_hhmm,
        departure_delay_minutes,
        arrival_delay_minutes,
        air_time_minutes,
        distance_miles,
        departure_time_hhmm is null as is_cancelled,
        departure_time_hhmm is not null
        and arrival_delay_minutes is null as is_diverted,
        has_registered_plane,
        has_registered_destination,
        flight_date,
        scheduled_departure_at,
        scheduled_departure_at_local,
        departed_at,
        coalesce(
            {{ utc_to_local('departed_at', 'origin_time_zone') }},
            {{ dbt.dateadd(
                'minute',
                'departure_delay_minutes',
                'scheduled_departure_at_local'
            ) }}
        ) as departed_at_local,
        scheduled_arrival_at,
        scheduled_arrival_at_local,
        arrived_at,
        coalesce(
            {{ utc_to_local('arrived_at', 'destination_time_zone') }},
            {{ dbt.dateadd(
                'minute',
                'arrival_delay_minutes',
                'scheduled_arrival_at_local'
            ) }}
        ) as arrived_at_local,
        _source_file,
        _file_sha256,
        _ingested_at,
        {{ processed_at() }} as _processed_at
    from flights_actual_timed
)

select * from flights_completed
order by flight_date
