{#- A test's stored failing rows as JSON: masked sample, anomaly details. -#}
{% macro observability_stored_rows(relation_name, columns, masked_columns) -%}
    {%- set replaced = [] -%}
    {%- for column_name in columns if column_name | lower in masked_columns -%}
        {%- do replaced.append("'***' as \"" ~ column_name ~ "\"") -%}
    {%- endfor -%}
    {%- set anomaly_columns = [
        'metric', 'period', 'expected_lower', 'expected_upper', 'actual',
        'is_anomalous',
    ] -%}
    {%- set is_anomaly = anomaly_columns
        | reject('in', columns | map('lower') | list) | list | length == 0 -%}
    {%- set sample -%}
        (
            select cast(to_json(list(sampled)) as varchar)
            from (
                select *
                {%- if replaced %}
                    replace ({{ replaced | join(', ') }})
                {%- endif %}
                from {{ relation_name }}
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
                from {{ relation_name }}
            ) as stored
            where
                is_anomalous
                or recency <= {{ var('observability_anomaly_periods', 30) }}
        )
    {%- endset -%}
    {{ return({
        'sample': sample, 'details': details if is_anomaly else 'null'
    }) }}
{%- endmacro %}
