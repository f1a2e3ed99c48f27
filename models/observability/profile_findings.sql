select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as relation_name,
    cast(null as varchar) as column_name,
    cast(null as varchar) as rule_id,
    cast(null as varchar) as severity,
    cast(null as varchar) as evidence,
    cast(null as timestamp) as found_at
where false
