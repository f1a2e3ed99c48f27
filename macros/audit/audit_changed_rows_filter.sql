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
        or node is none or node.unique_id not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set files_after = env_var('DATAOPS_AUDIT_FILES_AFTER', '') -%}
    {%- set condition = none -%}
    {%- if '_processed_at' in node.columns -%}
        {#- rows an incremental model (re)computed in this run -#}
        {%- set condition = '_processed_at >= cast(cast('
            ~ sql_string(run_started_at.isoformat())
            ~ ' as timestamp with time zone) as '
            ~ dbt.type_timestamp() ~ ')' -%}
    {%- elif files_after and '_ingested_at' in node.columns
        and '_file_sha256' in node.columns -%}
        {#- rows of the files landed since prod's last ingested file -#}
        {%- set condition = '_ingested_at > cast('
            ~ sql_string(files_after) ~ ' as ' ~ dbt.type_timestamp()
            ~ ')' -%}
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
    {%- if condition is none or not parents -%}
        {{ return('') }}
    {%- endif -%}
    {%- for parent in parents -%}
        {%- if parent.config.materialized != 'incremental'
            or parent.unique_id not in selected_resources -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(condition) }}
{%- endmacro %}
