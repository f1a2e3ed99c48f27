{#- Columns and types of one observability history table. -#}
{% macro observability_columns(table_name) -%}
    {%- set tables = {
        'invocations': [
            ('invocation_id', 'varchar'),
            ('command', 'varchar'),
            ('target_name', 'varchar'),
            ('selection', 'varchar'),
            ('started_at', 'timestamp'),
            ('ended_at', 'timestamp'),
            ('status', 'varchar'),
            ('dbt_version', 'varchar'),
            ('node_count', 'integer'),
            ('error_count', 'integer'),
            ('warn_count', 'integer'),
        ],
        'node_runs': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('resource_type', 'varchar'),
            ('name', 'varchar'),
            ('schema_name', 'varchar'),
            ('materialization', 'varchar'),
            ('status', 'varchar'),
            ('started_at', 'timestamp'),
            ('ended_at', 'timestamp'),
            ('duration_seconds', 'double'),
            ('rows_affected', 'bigint'),
            ('message', 'varchar'),
        ],
        'test_results': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('test_name', 'varchar'),
            ('test_type', 'varchar'),
            ('test_short_name', 'varchar'),
            ('model_unique_id', 'varchar'),
            ('column_name', 'varchar'),
            ('severity', 'varchar'),
            ('status', 'varchar'),
            ('failures', 'bigint'),
            ('failed_rows_sample', 'varchar'),
            ('anomaly_details', 'varchar'),
            ('duration_seconds', 'double'),
            ('message', 'varchar'),
        ],
        'source_freshness': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('source_name', 'varchar'),
            ('table_name', 'varchar'),
            ('max_loaded_at', 'timestamp'),
            ('snapshotted_at', 'timestamp'),
            ('age_seconds', 'double'),
            ('status', 'varchar'),
            ('warn_after_seconds', 'double'),
            ('error_after_seconds', 'double'),
        ],
        'row_volumes': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('relation_name', 'varchar'),
            ('row_count', 'bigint'),
            ('measured_at', 'timestamp'),
        ],
        'column_schemas': [
            ('invocation_id', 'varchar'),
            ('unique_id', 'varchar'),
            ('relation_name', 'varchar'),
            ('column_name', 'varchar'),
            ('data_type', 'varchar'),
            ('ordinal_position', 'integer'),
        ],
    } -%}
    {%- if table_name not in tables -%}
        {{ exceptions.raise_compiler_error(
            "observability_columns: no table " ~ table_name
            ~ "; known: " ~ (tables.keys() | list | join(', '))
        ) }}
    {%- endif -%}
    {{ return(tables[table_name]) }}
{%- endmacro %}
