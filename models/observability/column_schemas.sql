{{ observability_empty_table('column_schemas') }}
