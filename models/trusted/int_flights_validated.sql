{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
    )
}}

{#- The airports the sources report on, as a list of SQL strings. -#}
{%- set new_york_airports = "'" ~ var('origin_airports') | join("', '") ~ "'" %}

with staged_flights as (
    select * from {{ ref('stg_flights__flights') }}
),

staged_files as (
    select
        _file_sha256,
        _ingested_at
    from {{ ref('stg_flights__flights') }}
),

{# The files not validated yet (every file on a full build), by SHA-256. #}
new_files as (
    select
        _file_sha256,
        min(_ingested_at) as first_ingested_at
    from staged_files
    group by _file_sha256
    {%- if is_incremental() %}
        having _file_sha256 not in (
            select distinct validated._file_sha256 from {{ this }} as validated
        )
    {%- endif %}
),

{#
    A new day reads the new files' rows only. flight_date goes last: on
    Spark a table's partition column is its last column.
#}
new_rows as (
    select
        {{ star_except(['flight_date']) }},
        flight_date
    from staged_flights
    where
        _ingested_at >= (
            select min(new_files.first_ingested_at) as first_new_at
            from new_files
        )
        and _file_sha256 in (select new_files._file_sha256 from new_files)
),

{#
    The flight key determines the day: every version of a day that received
    a row is read again and ranked with the new ones, and the day replaced
    whole. Spark overwrites the partition of the rows with no date whole:
    there they are read again too.
#}
versions as (
    select * from new_rows
    {%- if is_incremental() %}
        union all
        select
            {{ star_except([
                'flight_date', 'version_rank', 'is_duplicate_in_file',
                'rule_id', '_processed_at',
            ]) }},
            flight_date
        from {{ this }} as validated
        where
            validated.flight_date in (
                select new_rows.flight_date from new_rows
            )
            or (
                validated.flight_date is null
                and {{ target.type == 'spark' }}
            )
    {%- endif %}
),

{#
    A day file carries its day's flights: a row dated another day than its
    file's name, later than the day it was received, or outside the
    calendar is quarantined, and never supersedes the flight's version of
    its own day.
#}
versions_dated as (
    select
        *,
        coalesce(
            flight_date != _file_date
            or flight_date > cast(_ingested_at as date)
            or flight_date < cast('{{ var("calendar_start_date") }}' as date)
            or flight_date > cast('{{ var("calendar_end_date") }}' as date),
            false
        ) as is_dated_outside_file
    from versions
),

{#
    Most flights arrive once: they are the latest version, and no file
    repeats them. Only the others are ranked, which spares most rows the
    window (a sort of every column, the model's largest cost).
#}
repeated_flights as (
    select flight_id
    from versions_dated
    group by flight_id
    having count(*) > 1
),

{#
    Latest file wins. The rows of one flight in one file are ordered by
    their other columns, so that the row kept is the same on every run and
    engine. A row with no date, or dated outside its file, stands alone in
    its file.
#}
versions_ranked as (
    select
        *,
        1 as version_rank,
        false as is_duplicate_in_file
    from versions_dated
    where
        flight_id not in (
            select repeated_flights.flight_id from repeated_flights
        )

    union all

    select
        *,
        row_number() over versions_of_a_flight as version_rank,
        coalesce(
            lag(_file_sha256) over versions_of_a_flight = _file_sha256,
            false
        ) as is_duplicate_in_file
    from versions_dated
    where
        flight_id in (
            select repeated_flights.flight_id from repeated_flights
        )
    window versions_of_a_flight as (
        partition by
            flight_id,
            case
                when flight_date is null or is_dated_outside_file
                    then _file_sha256
            end
        order by
            _ingested_at desc,
            _file_sha256 desc,
            airline_id asc nulls last,
            plane_id asc nulls last,
            origin_airport_id asc nulls last,
            destination_airport_id asc nulls last,
            invalid_number_columns asc nulls last,
            flight_number asc nulls last,
            scheduled_departure_time_hhmm asc nulls last,
            departure_time_hhmm asc nulls last,
            scheduled_arrival_time_hhmm asc nulls last,
            arrival_time_hhmm asc nulls last,
            departure_delay_minutes asc nulls last,
            arrival_delay_minutes asc nulls last,
            air_time_minutes asc nulls last,
            distance_miles asc nulls last,
            flight_date asc nulls last,
            scheduled_departure_at_local asc nulls last,
            scheduled_departure_hour_at asc nulls last,
            _source_file asc nulls last
    )
),

{# The first rule a row breaks; its reason is in seeds/quarantine_rules.csv. #}
flights_checked as (
    select
        *,
        case
            when
                flight_date is null
                or airline_id is null
                or flight_number is null
                or origin_airport_id is null
                or destination_airport_id is null
                or scheduled_departure_time_hhmm is null
                or scheduled_departure_hour_at is null
                then 'flights_key_missing'
            when is_dated_outside_file then 'flights_dated_outside_file'
            when is_duplicate_in_file then 'flights_duplicate_in_file'
            when version_rank > 1 then 'flights_superseded'
            when invalid_number_columns is not null
                then 'flights_number_invalid'
            when
                scheduled_departure_time_hhmm not between 0 and 2359
                or scheduled_departure_time_hhmm % 100 > 59
                or scheduled_arrival_time_hhmm not between 0 and 2400
                or scheduled_arrival_time_hhmm % 100 > 59
                then 'flights_scheduled_time_invalid'
            when
                {{ dbt.date_trunc('hour', 'scheduled_departure_at_local') }}
                != {{ utc_to_local(
                    'scheduled_departure_hour_at',
                    sql_string(var('origin_time_zone')),
                ) }}
                then 'flights_hour_disagrees_with_date'
            when origin_airport_id not in ({{ new_york_airports }})
                then 'flights_origin_not_new_york'
            when origin_airport_id = destination_airport_id
                then 'flights_same_origin_and_destination'
            when
                departure_delay_minutes
                not between {{ var('min_departure_delay_minutes') }}
                and {{ var('max_departure_delay_minutes') }}
                then 'flights_departure_delay_implausible'
        end as rule_id,
        {{ processed_at() }} as _processed_at
    from versions_ranked
)

select {{ star_except(['is_dated_outside_file']) }} from flights_checked
order by flight_date
