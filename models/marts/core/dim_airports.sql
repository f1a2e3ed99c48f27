with current_airports as (
    select * from {{ ref('trusted_airports') }}
    where is_current
),

flights as (
    select
        origin_airport_id,
        destination_airport_id
    from {{ ref('trusted_flights') }}
),

airports_flown as (
    select origin_airport_id as airport_id from flights
    union
    select destination_airport_id as airport_id from flights
),

{# Airports flown to but missing from the register become inferred members. #}
unregistered_airports as (
    select airports_flown.airport_id
    from airports_flown
    left join current_airports
        on airports_flown.airport_id = current_airports.airport_id
    where current_airports.airport_id is null
),

airports_unioned as (
    select
        airport_id,
        airport_name,
        time_zone,
        daylight_saving_rule,
        latitude,
        longitude,
        altitude_feet,
        utc_offset_hours,
        true as is_registered,
        valid_from as registered_at
    from current_airports
    union all
    select
        airport_id,
        cast(null as {{ dbt.type_string() }}) as airport_name,
        cast(null as {{ dbt.type_string() }}) as time_zone,
        cast(null as {{ dbt.type_string() }}) as daylight_saving_rule,
        cast(null as double) as latitude,
        cast(null as double) as longitude,
        cast(null as integer) as altitude_feet,
        cast(null as integer) as utc_offset_hours,
        false as is_registered,
        cast(null as {{ dbt.type_timestamp() }}) as registered_at
    from unregistered_airports
)

select * from airports_unioned
