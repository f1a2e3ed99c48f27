{#- Rows of observability.column_part_profiles for one relation, a select. -#}
{% macro observability_profile_relation(node, columns, part=none) -%}
    {%- set lit = observability_literal -%}
    {%- set measured_columns = [] -%}
    {%- for column in columns -%}
        {%- do measured_columns.append({
            'alias': 'c' ~ loop.index,
            'column': column,
            'measures': observability_profile_measures(
                column.name, column.family
            ),
        }) -%}
    {%- endfor %}
    with profiled as (
        select
            *,
            {{ part.expression if part else 'null' }} as _profile_part
        from {{ node.relation_name }}
        {%- if part and part.filter %}
            where {{ part.filter }}
        {%- endif %}
    ),

    measured as (
        select
            {%- if part %}
                _profile_part,
            {%- else %}
                cast(null as {{ dbt.type_string() }}) as _profile_part,
            {%- endif %}
            count(*) as row_count
            {%- for measured in measured_columns %}
                {%- for field, expression in measured.measures.items() %},
            {{ expression }} as {{ measured.alias }}__{{ field }}
                {%- endfor %}
            {%- endfor %}
        from profiled
        {%- if part %}
            group by _profile_part
        {%- endif %}
    )

    {%- for measured in measured_columns %}
        {%- set column, alias = measured.column, measured.alias %}
        {{ 'union all' if not loop.first }}
        select
            {{ lit(invocation_id) }} as invocation_id,
            {{ lit(node.unique_id) }} as unique_id,
            {{ lit(node.relation_name) }} as relation_name,
            {{ lit(column.name) }} as column_name,
            {{ lit(column.data_type) }} as data_type,
            {{ lit(column.family) }} as type_family,
            {{ column.position }} as ordinal_position,
            cast(_profile_part as {{ dbt.type_string() }}) as part,
            row_count,
            {{ alias }}__non_null_count as non_null_count,
            {%- for field in observability_profile_fields() %}
            {{ alias ~ '__' ~ field if field in measured.measures else 'null' }}
                as {{ field }},
            {%- endfor %}
            {{ processed_at() }} as profiled_at
        from measured
    {%- endfor %}
{%- endmacro %}
