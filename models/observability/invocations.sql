{{ observability_empty_table('invocations') }}
