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
    flights is trusted any more).
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
