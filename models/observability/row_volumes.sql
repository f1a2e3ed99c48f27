select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as relation_name,
    cast(null as bigint) as row_count,
    cast(null as timestamp) as measured_at
where false
