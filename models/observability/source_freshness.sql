{{ observability_empty_table('source_freshness') }}
