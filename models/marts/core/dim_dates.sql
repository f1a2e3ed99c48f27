{#-
    The calendar spans the configured years, widened to the flights' dates
    (generated data runs over several years).
-#}
{%- set calendar_start = var('calendar_start_date') -%}
{%- set calendar_end = var('calendar_end_date') -%}
{%- set flights = ref('trusted_flights') -%}
{%- if execute and adapter.get_relation(
    database=flights.database,
    schema=flights.schema,
    identifier=flights.identifier,
) is not none -%}
    {%- set bounds = run_query(
        'select cast(min(flight_date) as ' ~ dbt.type_string() ~ '),'
        ~ ' cast(max(flight_date) as ' ~ dbt.type_string() ~ ')'
        ~ ' from ' ~ flights
    ).rows[0] -%}
    {%- if bounds[0] is not none and bounds[0] < calendar_start -%}
        {%- set calendar_start = bounds[0] -%}
    {%- endif -%}
    {%- if bounds[1] is not none and bounds[1] > calendar_end -%}
        {%- set calendar_end = bounds[1] -%}
    {%- endif -%}
{%- endif %}

with days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ calendar_start ~ "' as date)",
        dbt.dateadd(
            'day', 1, "cast('" ~ calendar_end ~ "' as date)"
        ),
    ) }}
),

dates as (
    select
        cast(date_day as date) as date_id,
        {{ dbt.date_trunc('month', 'date_day') }} as month_start_date,
        cast(extract(year from date_day) as bigint) as year_number,
        cast(extract(quarter from date_day) as bigint) as quarter_number,
        cast(extract(month from date_day) as bigint) as month_number,
        cast(extract(day from date_day) as bigint) as day_of_month,
        cast(
            {{ day_of_week_number('date_day') }} as bigint
        ) as day_of_week_number,
        {{ day_of_week_number('date_day') }} in (6, 7) as is_weekend
    from days
),

final as (
    select
        date_id,
        year_number,
        quarter_number,
        month_number,
        day_of_month,
        day_of_week_number,
        is_weekend,
        cast(month_start_date as date) as month_start_date
    from dates
)

select * from final
