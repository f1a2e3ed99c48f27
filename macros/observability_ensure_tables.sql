{#- Creates schema observability and any missing history table. -#}
{% macro observability_ensure_tables() -%}
    {%- set statements = [] -%}
    {%- for table_name in [
        'invocations', 'node_runs', 'test_results', 'source_freshness',
        'row_volumes', 'column_schemas',
    ] -%}
        {%- set existing = adapter.get_relation(
            database=target.database,
            schema='observability',
            identifier=table_name,
        ) -%}
        {%- if existing is none -%}
            {%- do statements.append(
                'create table if not exists observability.' ~ table_name
                ~ ' as ' ~ observability_empty_table(table_name)
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements -%}
        {%- do run_query('create schema if not exists observability') -%}
        {%- do run_query(statements | join(';\n')) -%}
    {%- endif -%}
{%- endmacro %}
