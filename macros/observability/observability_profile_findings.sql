{#- Rows of observability.profile_findings: hygiene warnings, with evidence. -#}
{% macro observability_profile_findings() -%}
    {%- set lit = observability_literal -%}
    {%- set spread = var('observability_profile_outlier_spread', 3) -%}
    {%- set future_allowed = var('observability_profile_future_allowed', [])
        | map('lower') | list -%}
    with profiles as (
        select
            *,
            try_cast(quantiles[1] as double) as p05,
            try_cast(quantiles[5] as double) as p95,
            lower(split_part(unique_id, '.', -1)) as node_name,
            {#- lineage columns (_file_sha256, dbt_valid_to) are constant or
                null by design -#}
            starts_with(column_name, '_')
            or starts_with(lower(column_name), 'dbt_') as is_lineage
        from observability.column_profiles
        where invocation_id = {{ lit(invocation_id) }}
    ),

    findings as (
        select
            unique_id,
            relation_name,
            column_name,
            'always_null' as rule_id,
            format('all {} rows are null', row_count) as evidence
        from profiles
        where row_count > 0 and null_count = row_count and not is_lineage
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'constant' as rule_id,
            format('all {} rows hold {}', row_count, min_value) as evidence
        from profiles
        where
            row_count > 1
            and null_count = 0
            and min_value = max_value
            and not is_lineage
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'missing_values' as rule_id,
            format(
                '{} of {} rows are null ({}%)',
                null_count, row_count, round(100 * null_share, 2)
            ) as evidence
        from profiles
        where
            null_count > 0
            and null_share
            <= {{ var('observability_profile_missing_max_share', 0.5) }}
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'far_outside_spread' as rule_id,
            format(
                'min {}, max {}: beyond {} and {} (5% and 95% quantiles {} and'
                || ' {}, {} times their spread either side)',
                min_value, max_value,
                round(p05 - {{ spread }} * (p95 - p05), 3),
                round(p95 + {{ spread }} * (p95 - p05), 3),
                p05, p95, {{ spread }}
            ) as evidence
        from profiles
        where
            type_family = 'number'
            and p95 > p05
            and (
                try_cast(max_value as double) > p95 + {{ spread }} * (p95 - p05)
                or try_cast(min_value as double)
                < p05 - {{ spread }} * (p95 - p05)
            )
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'padded_text' as rule_id,
            format(
                '{} values have leading or trailing spaces', padded_count
            ) as evidence
        from profiles
        where padded_count > 0
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'mixed_case_codes' as rule_id,
            format(
                '{} values in upper case, {} in lower case (codes of at most'
                || ' {} characters)',
                upper_case_count, lower_case_count, max_length
            ) as evidence
        from profiles
        where
            upper_case_count > 0
            and lower_case_count > 0
            and max_length <= {{ var('observability_profile_code_max_length', 8) }}
        union all
        select
            unique_id,
            relation_name,
            column_name,
            'future_dates' as rule_id,
            format('{} values after now (latest {})', future_count, max_value)
                as evidence
        from profiles
        where
            future_count > 0
            {%- if future_allowed %}
                and node_name not in (
                    {%- for name in future_allowed -%}
                        {{ lit(name) }}{{ ', ' if not loop.last }}
                    {%- endfor -%}
                )
            {%- endif %}
    ),

    final as (
        select
            {{ lit(invocation_id) }} as invocation_id,
            unique_id,
            relation_name,
            column_name,
            rule_id,
            'warn' as severity,
            evidence,
            {{ processed_at() }} as found_at
        from findings
    )

    select * from final
{%- endmacro %}
