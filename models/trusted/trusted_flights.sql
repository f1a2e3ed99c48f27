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
    Incremental: the keys validated since the last run are replaced; a key
    whose latest version a rule now rejects is deleted (pre-hook).
    A new version of an airport or a plane (they set the arrival time zone
    and the registered flags) recomputes every flight.
-#}
with validated_flights as (
    select * from {{ ref('int_flights_validated') }}
    where
        rule_id is null
        and {{ if_incremental(
            '_processed_at > ' ~ last_processed_at()
            ~ ' or ' ~ references_changed_since(
                [ref('trusted_airports'), ref('trusted_planes')],
                last_processed_at(),
            )
        ) }}
),

airports as (
    select
        airport_id,
        time_zone
    from {{ ref('trusted_airports') }}
    where is_current
),

planes as (
    select plane_id
    from {{ ref('trusted_planes') }}
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
        validated_flights.*,
        {{ dbt.dateadd(
            'minute',
            'validated_flights.scheduled_departure_time_hhmm % 100',
            'validated_flights.scheduled_departure_hour_at'
        ) }} as scheduled_departure_at,
        {{ dbt.dateadd(
            'minute',
            minutes_after_midnight(
                'validated_flights.scheduled_arrival_time_hhmm'
            )
            ~ ' + case when validated_flights.scheduled_arrival_time_hhmm'
            ~ ' < validated_flights.scheduled_departure_time_hhmm'
            ~ ' then 1440 else 0 end',
            'cast(validated_flights.flight_date as '
            ~ dbt.type_timestamp() ~ ')'
        ) }} as scheduled_arrival_at_local,
        destination_airports.time_zone as destination_time_zone,
        destination_airports.airport_id is not null
            as has_registered_destination,
        planes.plane_id is not null as has_registered_plane
    from validated_flights
    left join airports as destination_airports
        on
            validated_flights.destination_airport_id
            = destination_airports.airport_id
    left join planes
        on validated_flights.plane_id = planes.plane_id
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
        {{ dbt.dateadd(
            'minute', 'departure_delay_minutes', 'scheduled_departure_at'
        ) }} as departed_at,
        {{ dbt.dateadd(
            'minute', 'departure_delay_minutes', 'scheduled_departure_at_local'
        ) }} as departed_at_local,
        {{ local_to_utc(
            'scheduled_arrival_at_local', 'destination_time_zone'
        ) }} as scheduled_arrival_at,
        scheduled_arrival_at_local,
        {{ dbt.dateadd(
            'minute',
            'arrival_delay_minutes',
            local_to_utc('scheduled_arrival_at_local', 'destination_time_zone')
        ) }} as arrived_at,
        {{ dbt.dateadd(
            'minute', 'arrival_delay_minutes', 'scheduled_arrival_at_local'
        ) }} as arrived_at_local,
        _source_file,
        _file_sha256,
        _ingested_at,
        {{ processed_at() }} as _processed_at
    from flights_timed
)

select * from flights_completed
{{ key_bounded_order() }}
