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
        extract(year from date_day) as year_number,
        extract(quarter from date_day) as quarter_number,
        extract(month from date_day) as month_number,
        extract(day from date_day) as day_of_month,
        {{ day_of_week_number('date_day') }} as day_of_week_number,
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
