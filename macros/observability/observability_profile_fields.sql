{#- The fields of a part profile that a column's measures may fill. -#}
{% macro observability_profile_fields() -%}
    {{ return([
        'distinct_count', 'min_value', 'max_value', 'value_sum',
        'value_sum_squares', 'zero_count', 'negative_count', 'empty_count',
        'padded_count', 'upper_case_count', 'lower_case_count', 'future_count',
        'min_length', 'max_length', 'length_sum', 'quantiles', 'top_values',
    ]) }}
{%- endmacro %}
