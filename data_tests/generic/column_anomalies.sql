{#- Flags the days where a column's metrics leave their training band. -#}
{% test column_anomalies(
    model,
    column_name,
    timestamp_column,
    metrics=['null_rate', 'distinct_count'],
    sensitivity=3,
    training_days=28,
    seasonality='day_of_week',
    min_training_periods=3,
    min_relative_change=0.1,
    min_absolute_change=0.01,
    direction='both',
    holidays=false
) -%}
    {#- Scored with DuckDB's SQL (generate_series): DuckDB targets only. -#}
    {{ config(
        enabled=(target.type == 'duckdb'),
        fail_calc='coalesce(sum(case when is_anomalous then 1 else 0 end), 0)'
    ) }}
    {%- set known = {
        'null_rate': 'avg(case when value is null then 1.0 else 0.0 end)',
        'distinct_count': 'count(distinct value)',
        'mean': 'avg(value)',
        'min': 'min(value)',
        'max': 'max(value)',
    } -%}
    {#- The values a metric can take: its band stays inside them. -#}
    {%- set domains = {
        'null_rate': {'lower': 0, 'upper': 1},
        'distinct_count': {'lower': 0, 'integer': true},
    } -%}
    {%- for metric in metrics if metric not in known -%}
        {{ exceptions.raise_compiler_error(
            "column_anomalies: unknown metric " ~ metric
            ~ "; choose from " ~ (known.keys() | list | join(', '))
        ) }}
    {%- endfor %}

    with

    source_values as (
        select
            cast({{ timestamp_column }} as date) as period,
            {{ column_name }} as value
        from {{ model }}
        where {{ timestamp_column }} is not null
    ),

    metrics_per_period as (
        select
            period,
            {%- for metric in metrics %}
                cast({{ known[metric] }} as double) as {{ metric }}
                {{- "," if not loop.last }}
            {%- endfor %}
        from source_values
        group by period
    ),

    metric_values as (
        {%- for metric in metrics %}
            select
                '{{ metric }}' as metric,
                period,
                {{ metric }} as actual
            from metrics_per_period
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ),

    anomalies as (
        {{ anomaly_bands(
            'metric_values', sensitivity, training_days, seasonality,
            min_training_periods, min_relative_change, min_absolute_change,
            direction, holidays, domains
        ) }}
    )

    select * from anomalies
{%- endtest %}
