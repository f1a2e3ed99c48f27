{#- The rows of observability.source_freshness: every source checked. -#}
{% macro observability_source_freshness(results) -%}
    {%- set lit = observability_literal -%}
    {%- set seconds = {'minute': 60, 'hour': 3600, 'day': 86400} -%}
    {%- for result in results if result.node.resource_type == 'source' %}
        {%- set node, after = result.node, {} -%}
        {%- for level in ['warn_after', 'error_after'] -%}
            {%- set threshold = (node.freshness or {})[level] -%}
            {%- if threshold and threshold.count and threshold.period -%}
                {%- do after.update(
                    {level: threshold.count * seconds[threshold.period]}
                ) -%}
            {%- endif -%}
        {%- endfor %}
        {{ 'union all' if not loop.first }}
        select
            {{ lit(invocation_id) }} as invocation_id,
            {{ lit(node.unique_id) }} as unique_id,
            {{ lit(node.source_name) }} as source_name,
            {{ lit(node.name) }} as table_name,
            {{ lit(result.max_loaded_at) }} as max_loaded_at,
            {{ lit(result.snapshotted_at) }} as snapshotted_at,
            {{ lit(result.age) }} as age_seconds,
            {{ lit((result.status | string).lower()) }} as status,
            {{ lit(after.get('warn_after')) }} as warn_after_seconds,
            {{ lit(after.get('error_after')) }} as error_after_seconds
    {%- endfor %}
{%- endmacro %}
