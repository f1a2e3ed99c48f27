{#- The rows this build wrote, when a day's publish audits its change. -#}
{% macro audit_changed_rows_filter() -%}
    {%- if not execute
        or env_var('DATAOPS_AUDIT_ROWS', 'all') != 'changed'
        or flags.WHICH != 'build' or run_started_at is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set test_name = model.test_metadata.name
        if model.test_metadata else none -%}
    {%- set node = graph.nodes.get(model.attached_node or '') -%}
    {%- if test_name not in var('audit_changed_rows_tests')
        or node is none or node.unique_id not in selected_resources
        or '_processed_at' not in node.columns -%}
        {{ return('') }}
    {%- endif -%}
    {#- a view reads changed rows only from incremental parents built now -#}
    {%- set parents = [node] if node.config.materialized == 'incremental'
        else [] -%}
    {%- if node.config.materialized == 'view' -%}
        {%- for parent_id in node.depends_on.nodes
            if parent_id.startswith('model.') -%}
            {%- do parents.append(graph.nodes[parent_id]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not parents -%}
        {{ return('') }}
    {%- endif -%}
    {%- for parent in parents -%}
        {%- if parent.config.materialized != 'incremental'
            or parent.unique_id not in selected_resources -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(
        '_processed_at >= cast(cast('
        ~ sql_string(run_started_at.isoformat())
        ~ ' as timestamp with time zone) as ' ~ dbt.type_timestamp() ~ ')'
    ) }}
{%- endmacro %}
