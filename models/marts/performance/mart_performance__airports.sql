{%- set delay_threshold_minutes = var('delay_threshold_minutes') -%}

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

{# Departures from each New York airport, per day. #}
performance_by_origin_day as (
    select
        origin_airport_id,
        flight_date,
        {{ flight_performance_measures() }},
        cast(sum(
            case
                when departure_delay_minutes <= {{ delay_threshold_minutes }}
                    then 1
                else 0
            end
        ) as bigint) as on_time_departures
    from flights
    group by 1, 2
),

final as (
    select
        {{ surrogate_key(['origin_airport_id', 'flight_date']) }}
            as airport_day_id,
        origin_airport_id,
        scheduled_flights,
        cancelled_flights,
        diverted_flights,
        completed_flights,
        on_time_departures,
        on_time_arrivals,
        on_time_arrival_rate,
        cancellation_rate,
        average_departure_delay_minutes,
        average_arrival_delay_minutes,
        flight_date,
        {{ processed_at() }} as _processed_at
    from performance_by_origin_day
)

select * from final
