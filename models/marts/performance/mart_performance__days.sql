{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('trusted_flight_days'), 'flight_date') }}",
    )
}}

{#
    The days that changed since the last run are recomputed (the pre-hook
    first empties them, for a day none of whose flights is trusted any
    more).
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

dates as (
    select
        date_id,
        day_of_week_number,
        is_weekend
    from date_dimension
),

performance_by_day as (
    select
        flight_date,
        {{ flight_performance_measures() }}
    from flights
    group by 1
),

performance_joined_to_dates as (
    select
        performance_by_day.scheduled_flights,
        performance_by_day.cancelled_flights,
        performance_by_day.diverted_flights,
        performance_by_day.completed_flights,
        performance_by_day.on_time_arrivals,
        performance_by_day.on_time_arrival_rate,
        performance_by_day.cancellation_rate,
        performance_by_day.average_departure_delay_minutes,
        performance_by_day.average_arrival_delay_minutes,
        dates.day_of_week_number,
        dates.is_weekend,
        performance_by_day.flight_date,
        {{ processed_at() }} as _processed_at
    from performance_by_day
    inner join dates
        on performance_by_day.flight_date = dates.date_id
)

select * from performance_joined_to_dates
