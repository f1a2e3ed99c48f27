{{
    config(
        materialized='incremental',
        unique_key='month_start_date',
        partition_by=['month_start_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('trusted_flight_days'), 'month_start_date', by_month=true) }}",
    )
}}

{#
    The months of the days that changed since the last run are recomputed
    whole (the pre-hook first empties them, for a month none of whose
    flights is trusted any more); a new version of an airline (its name)
    changes every day.
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

airline_dimension as (
    select * from {{ ref('dim_airlines') }}
),

changed_months as (
    select distinct
        cast({{ dbt.date_trunc('month', 'flight_date') }} as date)
            as month_start_date
    from changed_days
),

changed_months_bounds as (
    select
        min(month_start_date) as months_start,
        {{ dbt.dateadd('month', 1, 'max(month_start_date)') }} as months_end
    from changed_months
),

{#
    Joined to the months; the bounds on the day reach the scan of the facts
    (ordered by day).
#}
flights as (
    select facts.*
    from facts
    inner join changed_months
        on
            cast({{ dbt.date_trunc('month', 'facts.flight_date') }} as date)
            = changed_months.month_start_date
    where
        facts.flight_date >= (
            select changed_months_bounds.months_start
            from changed_months_bounds
        )
        and facts.flight_date < (
            select changed_months_bounds.months_end
            from changed_months_bounds
        )
),

airlines as (
    select
        airline_id,
        airline_name
    from airline_dimension
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
