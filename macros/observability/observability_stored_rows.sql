{#- A failed test's stored rows as JSON: masked sample, anomaly details.
    A relationships test stores only the unknown keys (`from_field`): its sample is
    the tested model's rows that carry them (the flights, not their tail numbers),
    read at sampling time, so the stored table stays one column wide. -#}
{% macro observability_stored_rows(result, model_id) -%}
    {%- set node = result.node -%}
    {%- set none_stored = {'sample': 'null', 'details': 'null'} -%}
    {%- if not (result.failures and node.relation_name
        and (result.status | string).lower() in ('fail', 'warn')) -%}
        {{ return(none_stored) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model_id) if model_id else none -%}
    {%- set by_key = node.test_metadata
        and node.test_metadata.name == 'relationships'
        and tested and tested.relation_name and node.column_name -%}
    {%- set sampled_relation = tested if by_key else node -%}
    {#- run_query opens no transaction (the hook's inserts stay committed) -#}
    {%- set columns = run_query(
        'select column_name from information_schema.columns where'
        ~ ' table_schema = ' ~ observability_literal(sampled_relation.schema)
        ~ ' and table_name = ' ~ observability_literal(sampled_relation.alias)
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
                from {{ sampled_relation.relation_name }}
                {%- if by_key %}
                    where {{ node.column_name }} in (
                        select from_field from {{ node.relation_name }}
                    )
                {%- elif is_anomaly %}
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
