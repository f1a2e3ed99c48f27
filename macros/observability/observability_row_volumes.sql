{#- Rows of observability.row_volumes: the row count of each relation. -#}
{% macro observability_row_volumes(nodes) -%}
    {%- set lit = observability_literal -%}
    {%- for node in nodes %}
        {{ 'union all' if not loop.first }}
        select
            {{ lit(invocation_id) }} as invocation_id,
            {{ lit(node.unique_id) }} as unique_id,
            {{ lit(node.relation_name) }} as relation_name,
            count(*) as row_count,
            {{ lit(modules.datetime.datetime.now(modules.pytz.utc)) }}
                as measured_at
        from {{ node.relation_name }}
    {%- endfor %}
{%- endmacro %}
