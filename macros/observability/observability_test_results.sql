{#- The rows of observability.test_results: every test and unit test run. -#}
{% macro observability_test_results(results) -%}
    {%- set lit = observability_literal -%}
    {%- for result in results
        if result.node.resource_type in ('test', 'unit_test') %}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'unit_test' -%}
            {%- set kind, short_name = 'unit', 'unit_test' -%}
            {%- set model_id = node.tested_node_unique_id
                or 'model.' ~ project_name ~ '.' ~ node.model -%}
        {%- elif node.test_metadata -%}
            {%- set kind, short_name = 'generic', node.test_metadata.name -%}
            {%- set model_id = node.attached_node -%}
        {%- else -%}
            {%- set upstream = node.depends_on.nodes -%}
            {%- set kind, short_name = 'singular', node.name -%}
            {%- set model_id = upstream[0] if upstream | length == 1
                else none -%}
        {%- endif -%}
        {%- set stored = observability_stored_rows(result, model_id) %}
        {{ 'union all' if not loop.first }}
        select
            {{ lit(invocation_id) }} as invocation_id,
            {{ lit(node.unique_id) }} as unique_id,
            {{ lit(node.name) }} as test_name,
            {{ lit(kind) }} as test_type,
            {{ lit(short_name) }} as test_short_name,
            {{ lit(model_id) }} as model_unique_id,
            {{ lit(node.column_name if node.column_name is defined else none) }}
                as column_name,
            {{ lit((node.config.severity or 'error') | lower) }} as severity,
            {{ lit((result.status | string).lower()) }} as status,
            {{ lit(result.failures) }} as failures,
            {{ stored.sample }} as failed_rows_sample,
            {{ stored.details }} as anomaly_details,
            {{ lit(result.execution_time) }} as duration_seconds,
            {{ lit(result.message) }} as message
    {%- endfor %}
{%- endmacro %}
