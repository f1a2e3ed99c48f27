{#- Rows of observability.profile_findings: hygiene warnings, with evidence. -#}
{% macro observability_profile_findings(files=none) -%}
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

    {#- this run's parts of each number column beside the column's previous
        profile: values beyond all it held and far outside its spread; files
        (the ingestion log) names the landed files a part is cut by -#}
    parts as (
        select
            parts.unique_id,
            parts.relation_name,
            parts.column_name,
            case
                when parts.part is null then 'the relation'
                when try_cast(parts.part as date) is not null then parts.part
                {%- if files %}
                    when files.original_name is not null
                        then files.original_name
                {%- endif %}
                else 'file ' || left(parts.part, 12)
            end as part_name,
            try_cast(parts.min_value as double) as low,
            try_cast(parts.max_value as double) as high
        from observability.column_part_profiles as parts
        {%- if files %}
            left join (
                select sha256, min(original_name) as original_name
                from {{ files }}
                group by sha256
            ) as files on parts.part = files.sha256
        {%- endif %}
        where
            parts.invocation_id = {{ lit(invocation_id) }}
            and parts.type_family = 'number'
            and not starts_with(parts.column_name, '_')
    ),

    history as (
        select
            unique_id,
            column_name,
            row_count,
            try_cast(min_value as double) as low,
            try_cast(max_value as double) as high,
            try_cast(quantiles[1] as double) as p05,
            try_cast(quantiles[5] as double) as p95
        from observability.column_profiles
        where
            invocation_id != {{ lit(invocation_id) }}
            and unique_id in (select unique_id from parts)
            and type_family = 'number'
        qualify row_number() over (
            partition by unique_id, column_name order by profiled_at desc
        ) = 1
    ),

    beyond_history as (
        select
            parts.unique_id,
            parts.relation_name,
            parts.column_name,
            string_agg(parts.part_name, ', ' order by parts.part_name)
                as part_names,
            min(parts.low) as low,
            max(parts.high) as high,
            any_value(history.low) as history_low,
            any_value(history.high) as history_high,
            any_value(history.p05) as p05,
            any_value(history.p95) as p95,
            any_value(history.row_count) as history_rows
        from parts
        inner join history
            on
                parts.unique_id = history.unique_id
                and parts.column_name = history.column_name
        where
            history.p95 > history.p05
            and (
                (
                    parts.high > history.high
                    and parts.high
                    > history.p95 + {{ spread }} * (history.p95 - history.p05)
                )
                or (
                    parts.low < history.low
                    and parts.low
                    < history.p05 - {{ spread }} * (history.p95 - history.p05)
                )
            )
        group by parts.unique_id, parts.relation_name, parts.column_name
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
            'outside_history' as rule_id,
            format(
                'this run''s rows ({}) hold {} to {}: beyond the {} to {} of'
                || ' the {} rows profiled before, and {} times the spread of'
                || ' their 5% and 95% quantiles ({} and {}) past them',
                part_names, low, high, history_low, history_high,
                history_rows, {{ spread }}, p05, p95
            ) as evidence
        from beyond_history
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
