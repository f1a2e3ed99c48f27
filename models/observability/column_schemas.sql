select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as relation_name,
    cast(null as varchar) as column_name,
    cast(null as varchar) as data_type,
    cast(null as integer) as ordinal_position
where false
