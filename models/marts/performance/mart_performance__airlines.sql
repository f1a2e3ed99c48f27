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

airline_dimension as (
    select * from {{ ref('dim_airlines') }}
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

airline_versions as ( -- noqa: ST03
    select
        valid_from,
        valid_to
    from {{ ref('trusted_airlines') }}
),
{%- if is_incremental() %}

    {# A version of an airline (its name) opened or closed since. #}
    airline_changes as (
        select count(*) as changed_versions
        from (
            select valid_from as changed_at from airline_versions
            union all
            select valid_to as changed_at from airline_versions
        ) as versions
        where versions.changed_at > {{ last_processed_at() }}
    ),

    {#
        A new month recomputes the months with a fact changed since the last
        run (the pre-hook first empties the months whose flights changed,
        for a month none of whose flights is trusted any more). A new
        version of an airline (its name) recomputes every month.
    #}
    changed_months as (
        select
            cast({{ dbt.date_trunc('month', 'fact_days.flight_date') }} as date)
                as month_start_date
        from fact_days
        cross join airline_changes
        where
            fact_days._processed_at > {{ last_processed_at() }}
            or airline_changes.changed_versions > 0
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
