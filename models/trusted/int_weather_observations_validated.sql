{{
    config(
        materialized='incremental',
        unique_key='observed_date',
        partition_by=['observed_date'] if target.type == 'spark' else none,
    )
}}

{%- set max_wind = var('max_plausible_wind_speed_mph') %}

{#- The airports the sources report on, as a list of SQL strings. -#}
{%- set new_york_airports = "'" ~ var('origin_airports') | join("', '") ~ "'" %}

with staged_observations as (
    select * from {{ ref('stg_weather__observations') }}
),

staged_files as (
    select
        _file_sha256,
        _ingested_at
    from {{ ref('stg_weather__observations') }}
),

{# The files not validated yet (every file on a full build), by SHA-256. #}
new_files as (
    select
        _file_sha256,
        min(_ingested_at) as first_ingested_at
    from staged_files
    group by _file_sha256
    {%- if is_incremental() %}
        having _file_sha256 not in (
            select distinct validated._file_sha256 from {{ this }} as validated
        )
    {%- endif %}
),

{#
    A new day reads the new files' rows only. observed_date goes last: on
    Spark a table's partition column is its last column.
#}
new_rows as (
    select
        {{ star_except(['observed_date']) }},
        observed_date
    from staged_observations
    where
        _ingested_at >= (
            select min(new_files.first_ingested_at) as first_new_at
            from new_files
        )
        and _file_sha256 in (select new_files._file_sha256 from new_files)
),

{#
    The key (airport, UTC hour) determines the UTC day: every version of a
    day that received a row is read again and ranked with the new ones, and
    the day replaced whole. Spark overwrites the partition of the rows with
    no hour whole: there they are read again too.
#}
versions as (
    select * from new_rows
    {%- if is_incremental() %}
        union all
        select
            {{ star_except([
                'observed_date', 'version_rank', 'is_duplicate_in_file',
                'rule_id', '_processed_at',
            ]) }},
            observed_date
        from {{ this }} as validated
        where
            validated.observed_date in (
                select new_rows.observed_date from new_rows
            )
            or (
                validated.observed_date is null
                and {{ target.type == 'spark' }}
            )
    {%- endif %}
),

{#
    A day file carries its day's observations (local date): one dated
    another day than its file's name, later than the day it was received,
    or outside the calendar is quarantined, and never supersedes the
    observation's version of its own day.
#}
versions_dated as (
    select
        *,
        coalesce(
            observed_date_local != _file_date
            or observed_date_local > cast(_ingested_at as date)
            or observed_date_local
            < cast('{{ var("calendar_start_date") }}' as date)
            or observed_date_local
            > cast('{{ var("calendar_end_date") }}' as date),
            false
        ) as is_dated_outside_file
    from versions
),

{#
    Latest file wins. The rows of one observation in one file are ordered
    by their other columns, so that the row kept is the same on every run
    and engine. A row with no hour, or dated outside its file, stands alone
    in its file.
#}
versions_ranked as (
    select
        *,
        row_number() over versions_of_an_observation as version_rank,
        coalesce(
            lag(_file_sha256) over versions_of_an_observation = _file_sha256,
            false
        ) as is_duplicate_in_file
    from versions_dated
    window versions_of_an_observation as (
        partition by
            observation_id,
            case
                when observed_date is null or is_dated_outside_file
                    then _file_sha256
            end
        order by
            _ingested_at desc,
            _file_sha256 desc,
            airport_id asc nulls last,
            invalid_number_columns asc nulls last,
            temperature_fahrenheit asc nulls last,
            dew_point_fahrenheit asc nulls last,
            relative_humidity_percent asc nulls last,
            wind_direction_degrees asc nulls last,
            wind_speed_mph asc nulls last,
            wind_gust_mph asc nulls last,
            precipitation_inches asc nulls last,
            pressure_millibars asc nulls last,
            visibility_miles asc nulls last,
            observed_date_local asc nulls last,
            observed_date asc nulls last,
            observed_at_local asc nulls last,
            observed_at asc nulls last,
            _source_file asc nulls last
    )
),

{# The first rule a row breaks; its reason is in seeds/quarantine_rules.csv. #}
observations_checked as (
    select
        *,
        case
            when
                airport_id is null
                or observed_at is null
                or observed_date_local is null
                then 'weather_key_missing'
            when is_dated_outside_file then 'weather_dated_outside_file'
            when is_duplicate_in_file then 'weather_duplicate_in_file'
            when version_rank > 1 then 'weather_superseded'
            when invalid_number_columns is not null
                then 'weather_number_invalid'
            when
                observed_at_local != {{ utc_to_local(
                    'observed_at', sql_string(var('origin_time_zone'))
                ) }}
                then 'weather_hour_disagrees_with_date'
            when airport_id not in ({{ new_york_airports }})
                then 'weather_airport_not_new_york'
            when
                wind_speed_mph not between 0 and {{ max_wind }}
                or wind_gust_mph not between 0 and {{ max_wind }}
                then 'weather_implausible_wind_speed'
            when
                temperature_fahrenheit not between -80 and 140
                or relative_humidity_percent not between 0 and 100
                or pressure_millibars not between 870 and 1090
                or visibility_miles < 0
                or precipitation_inches < 0
                or wind_direction_degrees not between 0 and 360
                then 'weather_implausible_reading'
        end as rule_id,
        {{ processed_at() }} as _processed_at
    from versions_ranked
)

select {{ star_except(['is_dated_outside_file']) }} from observations_checked
order by observed_date
