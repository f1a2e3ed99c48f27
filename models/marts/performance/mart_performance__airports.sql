{%- set delay_threshold_minutes = var('delay_threshold_minutes') -%}

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

{# Joined to the days, not `in (select ...)`: DuckDB hashes the days. #}
flights as (
    select facts.*
    from facts
    inner join changed_days
        on facts.flight_date = changed_days.flight_date
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
