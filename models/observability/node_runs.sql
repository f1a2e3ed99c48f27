select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as resource_type,
    cast(null as varchar) as name,  -- noqa: RF04
    cast(null as varchar) as schema_name,
    cast(null as varchar) as materialization,
    cast(null as varchar) as status,
    cast(null as timestamp) as started_at,
    cast(null as timestamp) as ended_at,
    cast(null as double) as duration_seconds,
    cast(null as bigint) as rows_affected,
    cast(null as varchar) as message
where false
