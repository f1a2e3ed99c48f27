{{ observability_empty_table('row_volumes') }}
