{{ observability_empty_table('node_runs') }}
