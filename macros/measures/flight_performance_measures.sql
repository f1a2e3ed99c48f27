{#- The on-time performance aggregates shared by the performance marts. -#}
{#- Use inside a select grouped by the mart's grain, over fct_flights rows. -#}
{% macro flight_performance_measures() -%}
    count(*) as scheduled_flights,
    {#- Counts are cast to bigint: DuckDB sums integers into hugeint. -#}
    cast(
        sum(case when is_cancelled then 1 else 0 end) as bigint
    ) as cancelled_flights,
    cast(
        sum(case when is_diverted then 1 else 0 end) as bigint
    ) as diverted_flights,
    cast(
        sum(case when not is_cancelled and not is_diverted then 1 else 0 end)
        as bigint
    ) as completed_flights,
    cast(
        sum(case when not is_arrival_delayed then 1 else 0 end) as bigint
    ) as on_time_arrivals,
    cast(
        sum(case when not is_arrival_delayed then 1 else 0 end) as double
    ) / nullif(
        sum(case when not is_cancelled and not is_diverted then 1 else 0 end), 0
    ) as on_time_arrival_rate,
    cast(
        sum(case when is_cancelled then 1 else 0 end) as double
    ) / count(*) as cancellation_rate,
    avg(departure_delay_minutes) as average_departure_delay_minutes,
    avg(arrival_delay_minutes) as average_arrival_delay_minutes
{%- endmacro %}
