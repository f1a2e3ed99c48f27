{#- Expected band of each metric per period from its trailing window. -#}
{% macro anomaly_bands(
    metric_values, sensitivity, training_days, seasonality,
    min_training_periods, min_relative_change, min_absolute_change, direction,
    holidays=false, domains={}
) -%}
    {%- if seasonality not in (none, 'none', 'day_of_week')
        or direction not in ('both', 'drop', 'spike') -%}
        {{ exceptions.raise_compiler_error(
            "anomaly test: seasonality must be none or day_of_week, not "
            ~ seasonality ~ "; direction both, drop or spike, not " ~ direction
        ) }}
    {%- endif -%}
    with

    {#- The values each metric can take (a rate 0 to 1, a count whole and
        not below 0): its band never leaves them. #}
    metric_domains as (
        select * from (values
            {%- for name, domain in domains.items() %}
                (
                    '{{ name }}',
                    cast({{ 'null' if domain.get('lower') is none
                        else domain.get('lower') }} as double),
                    cast({{ 'null' if domain.get('upper') is none
                        else domain.get('upper') }} as double),
                    {{ 'true' if domain.get('integer', false) else 'false' }}
                ){{ ',' if not loop.last }}
            {%- else %}
                (cast(null as varchar), cast(null as double), cast(null as double), false)
            {%- endfor %}
        ) as listed (metric, lower_limit, upper_limit, is_integer)
    ),

    holiday_periods as (
        select
            period_start_date,
            period_end_date
        from {{ ref('us_federal_holidays') }}
    ),

    {#- holidays: a day of a holiday period (the holiday and the days off
        around it) is scored against holiday days only. #}
    classified_values as (
        select
            metric_values.*,
            {{ 'true' if holidays else 'false' }} and exists (
                select 1 as is_in_period
                from holiday_periods
                where
                    metric_values.period
                    between holiday_periods.period_start_date
                    and holiday_periods.period_end_date
            ) as is_holiday
        from {{ metric_values }} as metric_values
    ),

    {# Each period against the same metric over its training window. #}
    trained as (
        select
            current_values.metric,
            current_values.period,
            current_values.actual,
            avg(training.actual) as expected,
            coalesce(stddev_samp(training.actual), 0) as spread,
            count(training.actual) as training_periods
        from classified_values as current_values
        inner join classified_values as training
            on
                current_values.metric = training.metric
                and training.period < current_values.period
                and training.period >= {{ dbt.dateadd(
                    'day', -training_days, 'current_values.period'
                ) }}
                and (training.is_holiday or not current_values.is_holiday)
                {%- if seasonality == 'day_of_week' %}
                    and {{ day_of_week_number('training.period') }}
                    = {{ day_of_week_number('current_values.period') }}
                {%- endif %}
        group by
            current_values.metric,
            current_values.period,
            current_values.actual
        having count(training.actual) >= {{ min_training_periods }}
    ),

    {# The band is the wider of k spreads and the smallest change that counts,
        rounded outward for whole counts and cut at the metric's domain. #}
    limited as (
        select
            banded.*,
            {{ anomaly_band_limit(
                'lower', 'banded.expected', 'banded.margin',
                'metric_domains.lower_limit', 'metric_domains.upper_limit',
                'coalesce(metric_domains.is_integer, false)'
            ) }} as expected_lower,
            {{ anomaly_band_limit(
                'upper', 'banded.expected', 'banded.margin',
                'metric_domains.lower_limit', 'metric_domains.upper_limit',
                'coalesce(metric_domains.is_integer, false)'
            ) }} as expected_upper
        from (
            select
                *,
                greatest(
                    {{ sensitivity }} * spread,
                    {{ min_relative_change }} * abs(expected),
                    {{ min_absolute_change }}
                ) as margin
            from trained
        ) as banded
        left join metric_domains
            on banded.metric = metric_domains.metric
    ),

    scored as (
        select
            metric,
            period,
            expected_lower,
            expected_upper,
            actual,
            expected,
            training_periods,
            coalesce(
                {%- if direction == 'spike' %} false
                {%- else %} actual < expected_lower
                {%- endif %}
                {%- if direction != 'drop' %} or actual > expected_upper
                {%- endif %},
                false
            ) as is_anomalous
        from limited
    )

    select * from scored
{%- endmacro %}
