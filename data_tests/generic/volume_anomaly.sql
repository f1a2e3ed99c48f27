{#- Flags the days whose row count leaves the band of its training window. -#}
{% test volume_anomaly(
    model,
    timestamp_column,
    sensitivity=3,
    training_days=28,
    seasonality='day_of_week',
    min_training_periods=3,
    min_relative_change=0.1,
    min_absolute_change=0,
    direction='both',
    holidays=false
) -%}
    {#- Scored with DuckDB's SQL (generate_series): DuckDB targets only. -#}
    {{ config(
        enabled=(target.type == 'duckdb'),
        fail_calc='coalesce(sum(case when is_anomalous then 1 else 0 end), 0)'
    ) }}

    with

    source_periods as (
        select cast({{ timestamp_column }} as date) as period
        from {{ model }}
        where {{ timestamp_column }} is not null
    ),

    rows_per_period as (
        select
            period,
            count(*) as row_count
        from source_periods
        group by period
    ),

    {# A day with no row at all counts as zero rows, not as no data. #}
    period_spine as (
        select cast(unnest(generate_series(
            min(period), max(period), interval 1 day
        )) as date) as period
        from rows_per_period
    ),

    metric_values as (
        select
            'row_count' as metric,
            period_spine.period,
            cast(coalesce(rows_per_period.row_count, 0) as double) as actual
        from period_spine
        left join rows_per_period
            on period_spine.period = rows_per_period.period
    ),

    anomalies as (
        {{ anomaly_bands(
            'metric_values', sensitivity, training_days, seasonality,
            min_training_periods, min_relative_change, min_absolute_change,
            direction, holidays, {'row_count': {'lower': 0, 'integer': true}}
        ) }}
    )

    select * from anomalies
{%- endtest %}
