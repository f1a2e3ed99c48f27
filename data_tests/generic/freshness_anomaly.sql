{#- Flags the days whose rows arrived later than the usual arrival lag. -#}
{% test freshness_anomaly(
    model,
    timestamp_column,
    loaded_at_column='_ingested_at',
    sensitivity=3,
    training_days=28,
    min_training_periods=7,
    min_relative_change=0.5,
    min_absolute_change=6
) -%}
    {#- Scored with DuckDB's SQL (generate_series): DuckDB targets only. -#}
    {{ config(
        enabled=(target.type == 'duckdb'),
        fail_calc='coalesce(sum(case when is_anomalous then 1 else 0 end), 0)'
    ) }}

    with

    source_rows as (
        select
            cast({{ timestamp_column }} as date) as period,
            {{ loaded_at_column }} as loaded_at
        from {{ model }}
        where {{ timestamp_column }} is not null
    ),

    {# Lag: hours from the end of the day to the first arrival of its rows. #}
    metric_values as (
        select
            'arrival_lag_hours' as metric,
            period,
            {{ dbt.datediff(
                dbt.dateadd('day', 1, 'period'), 'min(loaded_at)', 'second'
            ) }} / 3600.0 as actual
        from source_rows
        group by period
    ),

    anomalies as (
        {{ anomaly_bands(
            'metric_values', sensitivity, training_days, none,
            min_training_periods, min_relative_change, min_absolute_change,
            'spike'
        ) }}
    )

    select * from anomalies
{%- endtest %}
