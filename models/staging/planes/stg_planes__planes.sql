with source as (
    {{ reference_versions(
        'snapshot_planes', 'planes', 'planes', 'ldg_planes__planes', 'tailnum'
    ) }}
),

renamed as (
    select
        dbt_scd_id as plane_version_id,
        nullif(upper(trim(tailnum)), '') as plane_id,
        nullif(trim(type), '') as aircraft_type,
        nullif(trim(manufacturer), '') as manufacturer,
        nullif(trim(model), '') as model,
        nullif(trim(engine), '') as engine_type,
        {#
            A speed that is not a finite number an integer holds is null,
            and the source column is named for the rule that quarantines it.
        #}
        {{ invalid_number_columns({'speed': 'integer'}) }}
            as invalid_number_columns,
        cast(engines as integer) as engine_count,
        cast(seats as integer) as seat_count,
        {{ try_cast_number('speed', 'integer') }} as cruising_speed_mph,
        cast(year as integer) as manufactured_year,
        dbt_valid_to is null as is_current,
        cast(dbt_valid_from as timestamp) as valid_from,
        cast(dbt_valid_to as timestamp) as valid_to,
        _source_file,
        _file_sha256,
        _received_at
    from source
)

select * from renamed
