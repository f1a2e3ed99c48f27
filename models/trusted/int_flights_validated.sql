{{
    config(
        materialized=keyed_incremental(),
        unique_key='flight_id',
        key_bounded_by='flight_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set rules = [
    {
        'id': 'flights_key_missing',
        'fails_when': 'flight_date is null or airline_id is null'
            ~ ' or flight_number is null or origin_airport_id is null'
            ~ ' or destination_airport_id is null'
            ~ ' or scheduled_departure_time_hhmm is null'
            ~ ' or scheduled_departure_hour_at is null',
        'reason': 'a part of the flight key or its scheduled hour is missing'
            ~ ' or no valid date or time (a month 13, an unreadable time_hour)',
    },
    {
        'id': 'flights_duplicate_in_file',
        'fails_when': 'is_duplicate_in_file',
        'reason': 'another row of the same file holds the same flight',
    },
    {
        'id': 'flights_superseded',
        'fails_when': 'version_rank > 1',
        'reason': 'superseded by the same flight in a file received later',
    },
    {
        'id': 'flights_number_invalid',
        'fails_when': 'invalid_number_columns is not null',
        'reason': 'a delay or air time is not a finite number of minutes'
            ~ ' (see invalid_number_columns)',
    },
    {
        'id': 'flights_scheduled_time_invalid',
        'fails_when': 'scheduled_departure_time_hhmm not between 0 and 2359'
            ~ ' or scheduled_departure_time_hhmm % 100 > 59'
            ~ ' or scheduled_arrival_time_hhmm not between 0 and 2400'
            ~ ' or scheduled_arrival_time_hhmm % 100 > 59',
        'reason': 'a scheduled time is not a clock time hhmm',
    },
    {
        'id': 'flights_same_origin_and_destination',
        'fails_when': 'origin_airport_id = destination_airport_id',
        'reason': 'origin and destination are the same airport',
    },
] -%}

{#-
    Incremental: see ranked_versions (latest file wins; within a file, the
    first row by the other columns).
-#}
with flights_ranked as (
    {{ ranked_versions(ref('stg_flights__flights'), 'flight_id') }}
),

flights_checked as (
    select
        *,
        {{ first_failing_rule(rules) }},
        {{ processed_at() }} as _processed_at
    from flights_ranked
)

select * from flights_checked
{{ key_bounded_order() }}
