{#- A column's profile aggregates, by output field, for its type family. -#}
{% macro observability_profile_measures(column_name, family) -%}
    {%- set c = adapter.quote(column_name) -%}
    {%- set string = dbt.type_string() -%}
    {%- set measures = {
        'non_null_count': 'count(' ~ c ~ ')',
    } -%}
    {%- set counted = 'sum(case when {} then 1 else 0 end)' -%}
    {%- if family != 'other' -%}
        {%- do measures.update({
            'distinct_count': 'approx_count_distinct(' ~ c ~ ')',
            'min_value': 'cast(min(' ~ c ~ ') as ' ~ string ~ ')',
            'max_value': 'cast(max(' ~ c ~ ') as ' ~ string ~ ')',
        }) -%}
    {%- endif -%}
    {%- if family == 'number' -%}
        {%- set number = 'cast(' ~ c ~ ' as ' ~ dbt.type_float() ~ ')' -%}
        {%- do measures.update({
            'value_sum': 'sum(' ~ number ~ ')',
            'value_sum_squares': 'sum(' ~ number ~ ' * ' ~ number ~ ')',
            'zero_count': counted.format(c ~ ' = 0'),
            'negative_count': counted.format(c ~ ' < 0'),
            'quantiles': observability_profile_quantiles(c, family),
        }) -%}
    {%- elif family in ('date', 'timestamp', 'time') -%}
        {%- do measures.update({
            'quantiles': observability_profile_quantiles(c, family),
        }) -%}
        {%- if family != 'time' -%}
            {%- set now = 'current_date' if family == 'date'
                else dbt.current_timestamp() -%}
            {%- do measures.update({
                'future_count': counted.format(c ~ ' > ' ~ now),
            }) -%}
        {%- endif -%}
    {%- elif family == 'text' -%}
        {%- set letters = 'upper(' ~ c ~ ') <> lower(' ~ c ~ ')' -%}
        {%- do measures.update({
            'empty_count': counted.format(c ~ " = ''"),
            'padded_count': counted.format(c ~ ' <> trim(' ~ c ~ ')'),
            'upper_case_count': counted.format(
                letters ~ ' and ' ~ c ~ ' = upper(' ~ c ~ ')'
            ),
            'lower_case_count': counted.format(
                letters ~ ' and ' ~ c ~ ' = lower(' ~ c ~ ')'
            ),
            'min_length': 'min(length(' ~ c ~ '))',
            'max_length': 'max(length(' ~ c ~ '))',
            'length_sum': 'sum(length(' ~ c ~ '))',
            'top_values': observability_profile_top_values(c),
        }) -%}
    {%- endif -%}
    {{ return(measures) }}
{%- endmacro %}
