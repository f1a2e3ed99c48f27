{{ observability_empty_table('test_results') }}
