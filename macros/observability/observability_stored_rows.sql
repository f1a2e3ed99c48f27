{#- A failed test's stored rows as JSON: masked sample, anomaly details. -#}
{% macro observability_stored_rows(result, model_id) -%}
    {%- set node = result.node -%}
    {%- set none_stored = {'sample': 'null', 'details': 'null'} -%}
    {%- if not (result.failures and node.relation_name
        and (result.status | string).lower() in ('fail', 'warn')) -%}
        {{ return(none_stored) }}
    {%- endif -%}
    {#- run_query opens no transaction (the hook's inserts stay committed) -#}
    {%- set columns = run_query(
        'select column_name from information_schema.columns where'
        ~ ' table_schema = ' ~ observability_literal(node.schema)
        ~ ' and table_name = ' ~ observability_literal(node.alias)
        ~ ' order by ordinal_position'
    ).columns[0].values() | list -%}
    {#- masked: the var's columns and those the tested model marks -#}
    {%- set masked = var('observability_masked_columns', []) | map('lower')
        | list -%}
    {%- for column in ((graph.nodes.get(model_id) or {}).get('columns')
        or {}).values() if (column.meta.observability or {}).mask -%}
        {%- do masked.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set is_anomaly = columns | map('lower') | select('in', [
        'metric', 'period', 'expected_lower', 'expected_upper', 'actual',
        'is_anomalous',
    ]) | list | length == 6 -%}
    {%- set sample -%}
        (
            select cast(to_json(list(sampled)) as varchar)
            from (
                select *
                {%- for column in columns if column | lower in masked %}
                    {{ 'replace (' if loop.first }}'***' as "{{ column }}"
                    {{- ',' if not loop.last else ')' }}
                {%- endfor %}
                from {{ node.relation_name }}
                {%- if is_anomaly %}
                    where is_anomalous
                    order by period
                {%- endif %}
                limit {{ var('observability_sample_rows', 10) }}
            ) as sampled
        )
    {%- endset -%}
    {%- set details -%}
        (
            select cast(to_json(list(struct_pack(
                metric, period, expected_lower, expected_upper, actual,
                is_anomalous
            ) order by metric, period)) as varchar)
            from (
                select
                    *,
                    row_number() over (
                        partition by metric order by period desc
                    ) as recency
                from {{ node.relation_name }}
            ) as stored
            where
                is_anomalous
                or recency <= {{ var('observability_anomaly_periods', 30) }}
        )
    {%- endset -%}
    {{ return(none_stored if not columns else {
        'sample': sample, 'details': details if is_anomaly else 'null'
    }) }}
{%- endmacro %}
