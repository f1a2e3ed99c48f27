{#- Rows of observability.column_schemas: the columns of each relation. -#}
{% macro observability_column_schemas(nodes) -%}
    {%- set lit = observability_literal -%}
    {%- if nodes %}
        select
            {{ lit(invocation_id) }} as invocation_id,
            built.unique_id,
            built.relation_name,
            columns.column_name,
            lower(columns.data_type) as data_type,
            columns.ordinal_position
        from information_schema.columns as columns
        inner join (
            values
            {%- for node in nodes %}
                (
                    {{ lit(node.unique_id) }},
                    {{ lit(node.relation_name) }},
                    {{ lit(node.schema | lower) }},
                    {{ lit((node.alias or node.name) | lower) }}
                ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as built (unique_id, relation_name, schema_name, table_name)
            on
                lower(columns.table_schema) = built.schema_name
                and lower(columns.table_name) = built.table_name
                and columns.table_catalog = {{ lit(target.database) }}
    {%- endif %}
{%- endmacro %}
