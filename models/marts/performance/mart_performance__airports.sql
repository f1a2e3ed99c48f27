{%- set delay_threshold_minutes = var('delay_threshold_minutes') -%}

with flights as (
    select * from {{ ref('fct_flights') }}
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
        flight_date
    from performance_by_origin_day
)

select * from final
