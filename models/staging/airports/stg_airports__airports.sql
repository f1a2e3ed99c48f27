with source as (
    {{ reference_versions(
        'snapshot_airports', 'airports', 'airports', 'ldg_airports__airports', 'faa'
    ) }}
),

renamed as (
    select
        dbt_scd_id as airport_version_id,
        nullif(upper(trim(faa)), '') as airport_id,
        nullif(trim(name), '') as airport_name,
        nullif(trim(tzone), '') as time_zone,
        nullif(trim(dst), '') as daylight_saving_rule,
        cast(lat as double) as latitude,
        cast(lon as double) as longitude,
        cast(alt as integer) as altitude_feet,
        cast(tz as integer) as utc_offset_hours,
        dbt_valid_to is null as is_current,
        cast(dbt_valid_from as timestamp) as valid_from,
        cast(dbt_valid_to as timestamp) as valid_to,
        _source_file,
        _file_sha256,
        _received_at
    from source
)

select * from renamed
