select
    cast(null as varchar) as invocation_id,
    cast(null as varchar) as unique_id,
    cast(null as varchar) as test_name,
    cast(null as varchar) as test_type,
    cast(null as varchar) as test_short_name,
    cast(null as varchar) as model_unique_id,
    cast(null as varchar) as column_name,
    cast(null as varchar) as severity,
    cast(null as varchar) as status,
    cast(null as bigint) as failures,
    cast(null as varchar) as failed_rows_sample,
    cast(null as varchar) as anomaly_details,
    cast(null as double) as duration_seconds,
    cast(null as varchar) as message
where false
