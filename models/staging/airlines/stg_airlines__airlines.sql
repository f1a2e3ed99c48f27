with source as (
    {{ reference_versions(
        'snapshot_airlines', 'airlines', 'airlines', 'ldg_airlines__airlines', 'carrier'
    ) }}
),

renamed as (
    select
        dbt_scd_id as airline_version_id,
        nullif(upper(trim(carrier)), '') as airline_id,
        nullif(trim(name), '') as airline_name,
        dbt_valid_to is null as is_current,
        cast(dbt_valid_from as timestamp) as valid_from,
        cast(dbt_valid_to as timestamp) as valid_to,
        _source_file,
        _file_sha256,
        _received_at
    from source
)

select * from renamed
