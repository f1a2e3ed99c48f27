with days as (
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
