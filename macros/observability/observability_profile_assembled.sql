{#- Rows of observability.column_profiles: whole tables from their parts. -#}
{% macro observability_profile_assembled(nodes, full=false) -%}
    {%- set lit = observability_literal -%}
    {%- set levels = [0.05, 0.25, 0.5, 0.75, 0.95] -%}
    {#- a point of a part stands for the values half-way to its neighbours -#}
    {%- set point_weights = [0.025, 0.125, 0.225, 0.25, 0.225, 0.125, 0.025] -%}
    {%- if nodes %}
        with relations as (
            select *
            from (
                values
                {%- for node in nodes %}
                    (
                        {{ lit(node.unique_id) }},
                        {{ lit(node.schema | lower) }}
                    ){{ ',' if not loop.last }}
                {%- endfor %}
            ) as relations (unique_id, zone_name)
        ),

        {#
            A full profile read every part: a part left out of it (a day
            emptied, a relation now cut another way) no longer exists.
        #}
        last_full as (
            select unique_id, max(started_at) as full_at
            from observability.profile_runs
            where is_full
            group by unique_id
        ),

        {# The latest profile of each part (a day, a landed file, the whole). #}
        parts as (
            select profiles.*
            from observability.column_part_profiles as profiles
            inner join relations on profiles.unique_id = relations.unique_id
            left join last_full on profiles.unique_id = last_full.unique_id
            where profiles.profiled_at >= coalesce(
                last_full.full_at, profiles.profiled_at
            )
            {%- if full %}
                and profiles.invocation_id = {{ lit(invocation_id) }}
            {%- endif %}
            qualify row_number() over (
                partition by profiles.unique_id, profiles.column_name,
                    profiles.part
                order by profiles.profiled_at desc
            ) = 1
        ),

        {#
            Quantiles of several parts: each part's minimum, quantiles and
            maximum, weighted by its values, pooled (approximate).
        #}
        points as (
            select
                unique_id,
                column_name,
                unnest([
                    struct_pack(value := min_value, weight := {{ point_weights[0] }}),
                    {%- for level in levels %}
                        struct_pack(
                            value := quantiles[{{ loop.index }}],
                            weight := {{ point_weights[loop.index] }}
                        ),
                    {%- endfor %}
                    struct_pack(value := max_value, weight := {{ point_weights[-1] }})
                ]) as point,
                non_null_count
            from parts
            where quantiles is not null
        ),

        {#- one row per value: the parts share many (a minimum of 0, a
            median of -2), and the running sum is the same at its last one -#}
        weighted as (
            select
                unique_id,
                column_name,
                point.value as value,
                sum(point.weight * non_null_count) as weight
            from points
            where point.value is not null
            group by unique_id, column_name, point.value
        ),

        ranked as (
            select
                unique_id,
                column_name,
                value,
                sum(weight) over (
                    partition by unique_id, column_name
                    order by try_cast(value as double), value
                    rows between unbounded preceding and current row
                ) as cumulative,
                sum(weight) over (
                    partition by unique_id, column_name
                ) as total
            from weighted
        ),

        pooled_quantiles as (
            select
                unique_id,
                column_name,
                [
                    {%- for level in levels %}
                        arg_min(value, cumulative)
                            filter (where cumulative >= {{ level }} * total)
                        {{- ',' if not loop.last }}
                    {%- endfor %}
                ] as quantiles
            from ranked
            group by unique_id, column_name
        ),

        {# Top values of several parts: by the values of the parts they top. #}
        top_scores as (
            select
                unique_id,
                column_name,
                unnest(top_values) as value,
                non_null_count
            from parts
            where top_values is not null
        ),

        pooled_top_values as (
            select
                unique_id,
                column_name,
                list(value order by score desc, value)[
                    1:{{ var('observability_profile_top_values', 5) }}
                ] as top_values
            from (
                select
                    unique_id,
                    column_name,
                    value,
                    sum(non_null_count) as score
                from top_scores
                group by unique_id, column_name, value
            ) as scored
            group by unique_id, column_name
        ),

        summed as (
            select
                parts.unique_id,
                parts.column_name,
                any_value(parts.relation_name) as relation_name,
                any_value(parts.data_type) as data_type,
                any_value(parts.type_family) as type_family,
                max(parts.ordinal_position) as ordinal_position,
                count(*) as part_count,
                sum(parts.row_count) as row_count,
                sum(parts.non_null_count) as non_null_count,
                max(parts.distinct_count) as distinct_count,
                least(sum(parts.distinct_count), sum(parts.non_null_count))
                    as distinct_count_upper,
                case
                    when any_value(parts.type_family) = 'number'
                        then arg_min(
                            parts.min_value, try_cast(parts.min_value as double)
                        )
                    else min(parts.min_value)
                end as min_value,
                case
                    when any_value(parts.type_family) = 'number'
                        then arg_max(
                            parts.max_value, try_cast(parts.max_value as double)
                        )
                    else max(parts.max_value)
                end as max_value,
                sum(parts.value_sum) as value_sum,
                sum(parts.value_sum_squares) as value_sum_squares,
                sum(parts.zero_count) as zero_count,
                sum(parts.negative_count) as negative_count,
                sum(parts.empty_count) as empty_count,
                sum(parts.padded_count) as padded_count,
                sum(parts.upper_case_count) as upper_case_count,
                sum(parts.lower_case_count) as lower_case_count,
                sum(parts.future_count) as future_count,
                min(parts.min_length) as min_length,
                max(parts.max_length) as max_length,
                sum(parts.length_sum) as length_sum,
                any_value(parts.quantiles) as single_quantiles,
                any_value(parts.top_values) as single_top_values
            from parts
            group by parts.unique_id, parts.column_name
        ),

        final as (
            select
                {{ lit(invocation_id) }} as invocation_id,
                summed.unique_id,
                summed.relation_name,
                relations.zone_name,
                summed.column_name,
                summed.data_type,
                summed.type_family,
                summed.ordinal_position,
                summed.row_count,
                summed.row_count - summed.non_null_count as null_count,
                (summed.row_count - summed.non_null_count)
                / nullif(summed.row_count, 0) as null_share,
                summed.distinct_count,
                summed.distinct_count_upper,
                summed.min_value,
                summed.max_value,
                summed.value_sum / nullif(summed.non_null_count, 0)
                    as mean_value,
                sqrt(greatest(
                    (
                        summed.value_sum_squares
                        - summed.value_sum * summed.value_sum
                        / summed.non_null_count
                    ) / nullif(summed.non_null_count - 1, 0),
                    0
                )) as stddev_value,
                case
                    when summed.part_count = 1 then summed.single_quantiles
                    when summed.single_quantiles is not null
                        then pooled_quantiles.quantiles
                end as quantiles,
                summed.min_length,
                summed.max_length,
                summed.length_sum / nullif(summed.non_null_count, 0)
                    as mean_length,
                case
                    when summed.part_count = 1 then summed.single_top_values
                    else pooled_top_values.top_values
                end as top_values,
                summed.zero_count / nullif(summed.non_null_count, 0)
                    as zero_share,
                summed.negative_count / nullif(summed.non_null_count, 0)
                    as negative_share,
                summed.empty_count / nullif(summed.non_null_count, 0)
                    as empty_share,
                summed.padded_count,
                summed.upper_case_count,
                summed.lower_case_count,
                summed.future_count,
                summed.part_count,
                summed.part_count > 1 as is_approximate,
                {{ processed_at() }} as profiled_at
            from summed
            inner join relations on summed.unique_id = relations.unique_id
            left join pooled_quantiles
                on
                    summed.unique_id = pooled_quantiles.unique_id
                    and summed.column_name = pooled_quantiles.column_name
            left join pooled_top_values
                on
                    summed.unique_id = pooled_top_values.unique_id
                    and summed.column_name = pooled_top_values.column_name
        )

        select * from final
    {%- endif %}
{%- endmacro %}
