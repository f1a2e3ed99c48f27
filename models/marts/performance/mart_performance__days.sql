{{
    config(
        materialized=keyed_incremental(),
        unique_key='flight_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#-
    Incremental: the days with a flight changed since the last run are
    recomputed whole (delete+insert).
-#}
-- depends_on: {{ ref('int_flights_validated') }}
with flights as (
    select * from {{ ref('fct_flights') }}
    {%- if is_incremental() %}
        where {{ in_changed_flight_periods('day') }}
    {%- endif %}
),

dates as (
    select
        date_id,
        day_of_week_number,
        is_weekend
    from {{ ref('dim_dates') }}
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
