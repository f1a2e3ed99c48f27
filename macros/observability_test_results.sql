{#- The rows of observability.test_results: every test and unit test run. -#}
{% macro observability_test_results(results) -%}
    {%- set lit = observability_literal -%}
    {%- set tests = results | selectattr(
        'node.resource_type', 'in', ['test', 'unit_test']
    ) | list -%}
    {#- the relations of the failing rows stored by the tests that failed -#}
    {%- set stored = [] -%}
    {%- for result in tests if result.failures and result.node.relation_name
        and (result.status | string).lower() in ('fail', 'warn') -%}
        {%- do stored.append(
            lit(result.node.schema ~ '.' ~ result.node.alias)
        ) -%}
    {%- endfor -%}
    {%- set stored_columns = {} -%}
    {%- if stored -%}
        {%- set columns_query -%}
            select table_schema || '.' || table_name, column_name
            from information_schema.columns
            where table_schema || '.' || table_name in ({{ stored | join(', ') }})
            order by table_schema, table_name, ordinal_position
        {%- endset -%}
        {%- for row in run_query(columns_query) -%}
            {%- do stored_columns.setdefault(row[0], []).append(row[1]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set masked_by_var = var('observability_masked_columns', [])
        | map('lower') | list -%}
    {%- for result in tests %}
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
            {%- set model_id = upstream[0] if upstream | length == 1 else none -%}
        {%- endif -%}
        {%- set columns = stored_columns.get(node.schema ~ '.' ~ node.alias) -%}
        {%- set stored_rows = {'sample': 'null', 'details': 'null'} -%}
        {%- if columns -%}
            {%- set masked = masked_by_var | list -%}
            {%- set tested = graph.nodes.get(model_id) or {} -%}
            {%- for column in (tested.get('columns') or {}).values() -%}
                {%- if ((column.meta or {}).get('observability') or {}).get('mask') -%}
                    {%- do masked.append(column.name | lower) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set stored_rows = observability_stored_rows(
                node.relation_name, columns, masked
            ) -%}
        {%- endif %}
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
            {{ stored_rows.sample }} as failed_rows_sample,
            {{ stored_rows.details }} as anomaly_details,
            {{ lit(result.execution_time) }} as duration_seconds,
            {{ lit(result.message) }} as message
    {%- endfor %}
{%- endmacro %}
