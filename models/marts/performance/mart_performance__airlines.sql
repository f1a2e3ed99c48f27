{{
    config(
        materialized=keyed_incremental(),
        unique_key='month_start_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#-
    Incremental: the months with a flight changed since the last run are
    recomputed whole (delete+insert). A new version of an airline (its name)
    recomputes every month.
-#}
-- depends_on: {{ ref('int_flights_validated') }}
-- depends_on: {{ ref('trusted_airlines') }}
with flights as (
    select * from {{ ref('fct_flights') }}
    {%- if is_incremental() %}
        where
            (
                {{ in_changed_flight_periods('month') }}
                or {{ references_changed_since(
                    [ref('trusted_airlines')], last_processed_at()
                ) }}
            )
    {%- endif %}
),

airlines as (
    select
        airline_id,
        airline_name
    from {{ ref('dim_airlines') }}
),

performance_by_airline_month as (
    select
        airline_id,
        {{ dbt.date_trunc('month', 'flight_date') }} as flight_month,
        {{ flight_performance_measures() }}
    from flights
    group by 1, 2
),

performance_joined_to_airlines as (
    select
        performance_by_airline_month.airline_id,
        airlines.airline_name,
        performance_by_airline_month.scheduled_flights,
        performance_by_airline_month.cancelled_flights,
        performance_by_airline_month.diverted_flights,
        performance_by_airline_month.completed_flights,
        performance_by_airline_month.on_time_arrivals,
        performance_by_airline_month.on_time_arrival_rate,
        performance_by_airline_month.cancellation_rate,
        performance_by_airline_month.average_departure_delay_minutes,
        performance_by_airline_month.average_arrival_delay_minutes,
        cast(performance_by_airline_month.flight_month as date)
            as month_start_date,
        {{ processed_at() }} as _processed_at
    from performance_by_airline_month
    inner join airlines
        on performance_by_airline_month.airline_id = airlines.airline_id
)

select * from performance_joined_to_airlines
