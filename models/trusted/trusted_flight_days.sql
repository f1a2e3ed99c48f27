{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
    )
}}

with flights as (
    select
        flight_date,
        _processed_at
    from {{ ref('int_flights_validated') }}
),

observations as (
    select
        observed_date,
        _processed_at
    from {{ ref('int_weather_observations_validated') }}
),

airport_versions as (
    select
        valid_from,
        valid_to
    from {{ ref('trusted_airports') }}
),

airline_versions as (
    select
        valid_from,
        valid_to
    from {{ ref('trusted_airlines') }}
),

plane_versions as (
    select
        valid_from,
        valid_to
    from {{ ref('trusted_planes') }}
),

{#
    A version of an airport or a plane (time zones, registered flags, seats)
    or of an airline (its name) opened or closed since the last run: every
    day changed.
#}
reference_changes as (
    select count(*) as changed_versions
    from (
        select valid_from as changed_at from airport_versions
        union all
        select valid_to as changed_at from airport_versions
        union all
        select valid_from as changed_at from airline_versions
        union all
        select valid_to as changed_at from airline_versions
        union all
        select valid_from as changed_at from plane_versions
        union all
        select valid_to as changed_at from plane_versions
    ) as versions
    {% if is_incremental() %}
        where changed_at > {{ last_processed_at('changed_at') }}
    {% endif %}
),

{#
    The days with a flight validated since the last run, its rejected rows
    included: a day whose flights all went to quarantine changed too.
#}
flight_days as (
    select distinct flights.flight_date
    from flights
    cross join reference_changes
    {% if is_incremental() %}
        where
            flights._processed_at > {{ last_processed_at('changed_at') }}
            or reference_changes.changed_versions > 0
    {% endif %}
),

{# The UTC days with an observation validated since, rejected ones included. #}
weather_days as (
    select distinct observations.observed_date
    from observations
    cross join reference_changes
    {% if is_incremental() %}
        where
            observations._processed_at > {{ last_processed_at('changed_at') }}
            or reference_changes.changed_versions > 0
    {% endif %}
),

{#
    fct_flights joins the weather at the origin in the departure's UTC hour,
    and New York is behind UTC: the weather of UTC day D reaches the flights
    of days D and D - 1 (trusted_weather_observations replaces day D).
#}
changed_days as (
    select flight_date from flight_days
    union
    select observed_date as flight_date from weather_days
    union
    select
        cast({{ dbt.dateadd('day', -1, 'observed_date') }} as date)
            as flight_date
    from weather_days
),

{# A row with no date (quarantined) has no day to change. #}
final as (
    select
        flight_date,
        {{ processed_at() }} as changed_at
    from changed_days
    where flight_date is not null
)

select * from final
order by flight_date
