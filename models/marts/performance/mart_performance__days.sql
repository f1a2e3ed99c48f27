{{
    config(
        materialized='incremental',
        unique_key='flight_date',
        partition_by=['flight_date'] if target.type == 'spark' else none,
        pre_hook="{{ delete_changed_days(ref('int_flights_validated'), 'flight_date') }}",
    )
}}

with facts as (
    select * from {{ ref('fct_flights') }}
),

date_dimension as (
    select * from {{ ref('dim_dates') }}
),

{#
    The import CTE below is read by a new day's filter only: a full build
    reads every fact. It is apart from facts because DuckDB would
    materialize a CTE read twice.
#}
fact_days as ( -- noqa: ST03
    select
        flight_date,
        _processed_at
    from {{ ref('fct_flights') }}
),
{%- if is_incremental() %}

    {#
        A new day recomputes the days with a fact changed since the last
        run (the pre-hook first empties the days whose flights changed, for
        a day none of whose flights is trusted any more).
    #}
    changed_days as (
        select distinct flight_date
        from fact_days
        where _processed_at > {{ last_processed_at() }}
    ),
{%- endif %}

{#
    A full build reads every fact. A new day joins the changed days (not
    `in (select ...)`: DuckDB hashes the days).
#}
flights as (
    select facts.*
    from facts
    {% if is_incremental() %}
        inner join changed_days
            on facts.flight_date = changed_days.flight_date
    {% endif %}
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
