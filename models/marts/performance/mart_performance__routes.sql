{{
    config(
        materialized='incremental',
        unique_key='month_start_date',
        partition_by=['month_start_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('int_flights_validated'), 'flight_date', month_column='month_start_date') }}",
    )
}}

with facts as (
    select * from {{ ref('fct_flights') }}
),

{#
    The import CTEs below are read by a new month's filter only: a full build
    reads every fact. fact_days is apart from facts because DuckDB would
    materialize a CTE read twice.
#}
fact_days as ( -- noqa: ST03
    select
        flight_date,
        _processed_at
    from {{ ref('fct_flights') }}
),

validated_days as ( -- noqa: ST03
    select
        flight_date,
        _processed_at
    from {{ ref('int_flights_validated') }}
),
{%- if is_incremental() %}

    {#
        A new month recomputes the months with a fact changed since the last
        run (the pre-hook first empties the months whose flights changed,
        for a month none of whose flights is trusted any more).
    #}
    changed_months as (
        select
            cast({{ dbt.date_trunc('month', 'flight_date') }} as date)
                as month_start_date
        from fact_days
        where _processed_at > {{ last_processed_at() }}
        union
        select
            cast({{ dbt.date_trunc('month', 'flight_date') }} as date)
                as month_start_date
        from validated_days
        where _processed_at > {{ last_processed_at() }}
    ),
{%- endif %}

flights as (
    select * from facts
    {% if is_incremental() %}
        {#- bounds on the day reach the scan of the facts; the set is exact #}
        where
            flight_date >= (
                select min(changed_months.month_start_date) as months_start
                from changed_months
            )
            and flight_date < (
                select {{ dbt.dateadd(
                    'month', 1, 'max(changed_months.month_start_date)'
                ) }} as months_end
                from changed_months
            )
            and cast({{ dbt.date_trunc('month', 'flight_date') }} as date) in (
                select changed_months.month_start_date from changed_months
            )
    {% endif %}
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
