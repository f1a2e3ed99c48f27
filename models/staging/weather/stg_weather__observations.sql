with source as (
    select * from {{ ref('ldg_weather__observations') }}
),

renamed as (
    select
        {{ surrogate_key(['origin', 'time_hour']) }} as observation_id,
        upper(trim(origin)) as airport_id,
        cast(temp as double) as temperature_fahrenheit,
        cast(dewp as double) as dew_point_fahrenheit,
        cast(humid as double) as relative_humidity_percent,
        cast(wind_dir as double) as wind_direction_degrees,
        cast(wind_speed as double) as wind_speed_mph,
        cast(wind_gust as double) as wind_gust_mph,
        cast(precip as double) as precipitation_inches,
        cast(pressure as double) as pressure_millibars,
        cast(visib as double) as visibility_miles,
        cast(make_date(year, month, day) as date) as observed_date_local,
        {{ dbt.dateadd(
            'hour',
            'hour',
            'cast(make_date(year, month, day) as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as observed_at_local,
        {{ iso_utc_to_timestamp('time_hour') }} as observed_at,
        _source_file,
        _file_sha256,
        _ingested_at
    from source
)

select * from renamed
