select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as command,
    cast(null as varchar) as target_name,
    cast(null as varchar) as selection,
    cast(null as timestamp) as started_at,
    cast(null as timestamp) as ended_at,
    cast(null as varchar) as status,
    cast(null as varchar) as dbt_version,
    cast(null as integer) as node_count,
    cast(null as integer) as error_count,
    cast(null as integer) as warn_count
where false
