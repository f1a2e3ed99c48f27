with current_airlines as (
    select * from {{ ref('trusted_airlines') }}
    where is_current
),

airlines_flown as (
    select distinct airline_id
    from {{ ref('trusted_flights') }}
),

{# Carriers flying but missing from the register become inferred members. #}
unregistered_airlines as (
    select airlines_flown.airline_id
    from airlines_flown
    left join current_airlines
        on airlines_flown.airline_id = current_airlines.airline_id
    where current_airlines.airline_id is null
),

airlines_unioned as (
    select
        airline_id,
        airline_name,
        true as is_registered,
        valid_from as registered_at
    from current_airlines
    union all
    select
        airline_id,
        cast(null as {{ dbt.type_string() }}) as airline_name,
        false as is_registered,
        cast(null as {{ dbt.type_timestamp() }}) as registered_at
    from unregistered_airlines
)

select * from airlines_unioned
