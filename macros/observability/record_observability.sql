{#- on-run-end hook: records the invocation into schema observability. -#}
{% macro record_observability(results) -%}
    {%- if not execute or not var('observability_enabled', true)
        or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {#- build also lists exposures (and saved queries): nothing ran for them -#}
    {%- set recorded = results | selectattr('node.resource_type', 'in', [
        'source', 'model', 'snapshot', 'seed', 'test', 'unit_test'
    ]) | list -%}
    {%- set built = recorded | selectattr('node.resource_type', 'in', [
        'model', 'snapshot', 'seed'
    ]) | selectattr('status', 'equalto', 'success')
        | rejectattr('node.config.materialized', 'equalto', 'ephemeral')
        | map(attribute='node') | list -%}
    {%- set datasets = {
        'invocations': observability_invocation(recorded),
        'node_runs': observability_node_runs(recorded),
        'test_results': observability_test_results(recorded),
        'source_freshness': observability_source_freshness(recorded),
        'row_volumes': observability_row_volumes(built),
        'column_schemas': observability_column_schemas(built),
    } -%}
    {%- do run_query('create schema if not exists observability') -%}
    {%- for table_name, rows in datasets.items() if rows | trim -%}
        {#- the history table's model (a plain select) defines it -#}
        {%- set model = graph.nodes[
            'model.' ~ project_name ~ '.' ~ table_name
        ] -%}
        {%- do run_query(
            'create table if not exists observability.' ~ table_name
            ~ ' as ' ~ model.raw_code
        ) -%}
        {%- do run_query(
            'insert into observability.' ~ table_name ~ ' by name\n' ~ rows
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
