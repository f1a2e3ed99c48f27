select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as source_name,
    cast(null as varchar) as table_name,
    cast(null as timestamp) as max_loaded_at,
    cast(null as timestamp) as snapshotted_at,
    cast(null as double) as age_seconds,
    cast(null as varchar) as status,
    cast(null as double) as warn_after_seconds,
    cast(null as double) as error_after_seconds
where false
