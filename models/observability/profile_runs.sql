select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as relation_name,
    cast(null as varchar) as part_kind,
    cast(null as bigint) as parts_profiled,
    cast(null as double) as profile_seconds,
    cast(null as boolean) as is_full,
    cast(null as timestamp) as started_at
where false
