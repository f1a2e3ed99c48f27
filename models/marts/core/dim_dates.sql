with holidays as (
    select * from {{ ref('us_federal_holidays') }}
),

{#
    The calendar spans the years of the holiday seed (calendar_start_date to
    calendar_end_date): every year the generated data can reach.
#}
days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        dbt.dateadd(
            'day', 1, "cast('" ~ var('calendar_end_date') ~ "' as date)"
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
        dates.date_id,
        holidays.holiday_name,
        dates.year_number,
        dates.quarter_number,
        dates.month_number,
        dates.day_of_month,
        dates.day_of_week_number,
        dates.is_weekend,
        holidays.holiday_date is not null as is_holiday,
        cast(dates.month_start_date as date) as month_start_date
    from dates
    left join holidays
        on dates.date_id = holidays.holiday_date
)

select * from final
