{#- The rows of observability.node_runs: every node that ran but sources. -#}
{% macro observability_node_runs(results) -%}
    {%- set lit = observability_literal -%}
    {%- for result in results if result.node.resource_type != 'source' %}
        {%- set node, timing = result.node, result.timing or [] -%}
        {%- set rows = (result.adapter_response or {}).get('rows_affected') %}
        {{ 'union all' if not loop.first }}
        select
            {{ lit(invocation_id) }} as invocation_id,
            {{ lit(node.unique_id) }} as unique_id,
            {{ lit(node.resource_type) }} as resource_type,
            {{ lit(node.name) }} as name,
            {{ lit(node.schema) }} as schema_name,
            {{ lit(node.config.materialized) }} as materialization,
            {{ lit((result.status | string).lower()) }} as status,
            {{ lit(timing[0].started_at if timing else none) }} as started_at,
            {{ lit(timing[-1].completed_at if timing else none) }} as ended_at,
            {{ lit(result.execution_time) }} as duration_seconds,
            {{ lit(rows if rows is number and rows >= 0 else none) }}
                as rows_affected,
            {{ lit(result.message) }} as message
    {%- endfor %}
{%- endmacro %}
