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
    recomputed whole (delete+insert).
-#}
-- depends_on: {{ ref('int_flights_validated') }}
with flights as (
    select * from {{ ref('fct_flights') }}
    {%- if is_incremental() %}
        where {{ in_changed_flight_periods('month') }}
    {%- endif %}
),

performance_by_route_month as (
    select
        origin_airport_id,
        destination_airport_id,
        {{ dbt.date_trunc('month', 'flight_date') }} as flight_month,
        max(distance_miles) as distance_miles,
        {{ flight_performance_measures() }}
    from flights
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key([
            'origin_airport_id', 'destination_airport_id', 'flight_month'
        ]) }} as route_month_id,
        origin_airport_id,
        destination_airport_id,
        distance_miles,
        scheduled_flights,
        cancelled_flights,
        diverted_flights,
        completed_flights,
        on_time_arrivals,
        on_time_arrival_rate,
        cancellation_rate,
        average_departure_delay_minutes,
        average_arrival_delay_minutes,
        cast(flight_month as date) as month_start_date,
        {{ processed_at() }} as _processed_at
    from performance_by_route_month
)

select * from final
