{%- set delay_threshold_minutes = var('delay_threshold_minutes') -%}

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
