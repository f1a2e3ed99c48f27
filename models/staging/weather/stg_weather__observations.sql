with source as (
    select * from {{ ref('ldg_weather__observations') }}
),

renamed as (
    select
        {#
            The key hashes the airport and the hour as trusted compares them:
            ' ewr' and 'EWR', two spellings of one UTC hour, are one
            observation.
        #}
        {{ surrogate_key([
            "nullif(upper(trim(origin)), '')",
            'coalesce('
            ~ timestamp_to_iso_utc(iso_utc_to_timestamp('time_hour'))
            ~ ', time_hour)',
        ]) }} as observation_id,
        nullif(upper(trim(origin)), '') as airport_id,
        {#
            A reading that is not a finite number (inf, NaN, 1e999) is null
            here, and the source column is named for the rule that
            quarantines the row.
        #}
        {{ invalid_number_columns({
            'temp': 'double',
            'dewp': 'double',
            'humid': 'double',
            'wind_dir': 'double',
            'wind_speed': 'double',
            'wind_gust': 'double',
            'precip': 'double',
            'pressure': 'double',
            'visib': 'double',
        }) }} as invalid_number_columns,
        {{ try_cast_number('temp', 'double') }} as temperature_fahrenheit,
        {{ try_cast_number('dewp', 'double') }} as dew_point_fahrenheit,
        {{ try_cast_number('humid', 'double') }} as relative_humidity_percent,
        {{ try_cast_number('wind_dir', 'double') }} as wind_direction_degrees,
        {{ try_cast_number('wind_speed', 'double') }} as wind_speed_mph,
        {{ try_cast_number('wind_gust', 'double') }} as wind_gust_mph,
        {{ try_cast_number('precip', 'double') }} as precipitation_inches,
        {{ try_cast_number('pressure', 'double') }} as pressure_millibars,
        {{ try_cast_number('visib', 'double') }} as visibility_miles,
        cast({{ try_make_date('year', 'month', 'day') }} as date)
            as observed_date_local,
        cast({{ iso_utc_to_timestamp('time_hour') }} as date) as observed_date,
        {{ dbt.dateadd(
            'hour',
            'hour',
            'cast(' ~ try_make_date('year', 'month', 'day')
            ~ ' as ' ~ dbt.type_timestamp() ~ ')'
        ) }} as observed_at_local,
        {{ iso_utc_to_timestamp('time_hour') }} as observed_at,
        _source_file,
        {{ file_date('_source_file') }} as _file_date,
        _file_sha256,
        _ingested_at
    from source
)

select * from renamed
