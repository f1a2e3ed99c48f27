with source as (
    select * from {{ ref('ldg_flights__flights') }}
),

renamed as (
    select
        {#
            The key hashes the codes as trusted compares them (trimmed, upper
            case): ' ua' and 'UA' are one carrier, so one flight.
        #}
        {{ surrogate_key([
            'year', 'month', 'day', "nullif(upper(trim(carrier)), '')",
            'flight', "nullif(upper(trim(origin)), '')", 'sched_dep_time',
        ]) }} as flight_id,
        nullif(upper(trim(carrier)), '') as airline_id,
        nullif(upper(trim(tailnum)), '') as plane_id,
        nullif(upper(trim(origin)), '') as origin_airport_id,
        nullif(upper(trim(dest)), '')
            as destination_airport_id,
        {#
            A delay or air time that is not a finite number of minutes an
            integer holds (inf, NaN, 1e309, 30 digits) is null here, and
            the source column is named for the rule that quarantines it.
        #}
        {{ invalid_number_columns({
            'dep_delay': 'integer',
            'arr_delay': 'integer',
            'air_time': 'integer',
        }) }} as invalid_number_columns,
        cast(flight as integer) as flight_number,
        cast(sched_dep_time as integer) as scheduled_departure_time_hhmm,
        cast(dep_time as integer) as departure_time_hhmm,
        cast(sched_arr_time as integer) as scheduled_arrival_time_hhmm,
        cast(arr_time as integer) as arrival_time_hhmm,
        {{ try_cast_number('dep_delay', 'integer') }}
            as departure_delay_minutes,
        {{ try_cast_number('arr_delay', 'integer') }} as arrival_delay_minutes,
        {{ try_cast_number('air_time', 'integer') }} as air_time_minutes,
        cast(distance as integer) as distance_miles,
        cast({{ try_make_date('year', 'month', 'day') }} as date)
            as flight_date,
        {{ dbt.dateadd(
            'minute',
            minutes_after_midnight('sched_dep_time'),
            'cast(' ~ try_make_date('year', 'month', 'day')
            ~ ' as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as scheduled_departure_at_local,
        {{ iso_utc_to_timestamp('time_hour') }} as scheduled_departure_hour_at,
        _source_file,
        {{ file_date('_source_file') }} as _file_date,
        _file_sha256,
        _ingested_at
    from source
)

select * from renamed
