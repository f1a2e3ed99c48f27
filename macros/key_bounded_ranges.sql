{#- The `key_bounded_by` ranges that hold the keys of some rows. -#}
{#-
    For the models that set `key_bounded_by` (a column their unique key
    determines: the same key never has two values of it, e.g. flight_date
    for flight_id): the stored rows of the keys in `rows` lie between the
    least and greatest value of that column in `rows`, or have it null.
    Returns those ranges as predicates with literal bounds, which reach the
    table scan (it skips the blocks outside them); none when `rows` is
    empty. Without `key_bounded_by`: one predicate, `true`.
-#}
{% macro key_bounded_ranges(rows) -%}
    {%- set bounded_by = config.get('key_bounded_by') -%}
    {%- if not bounded_by -%}
        {{ return(['true']) }}
    {%- endif -%}
    {%- set bounds = run_query(
        'select min(' ~ bounded_by ~ '), max(' ~ bounded_by ~ '), typeof(min('
        ~ bounded_by ~ ')), count(*) > count(' ~ bounded_by ~ ') from '
        ~ rows ~ ' as bounded_rows'
    ).rows[0] -%}
    {%- set ranges = [] -%}
    {%- if bounds[0] is not none -%}
        {%- do ranges.append(
            bounded_by ~ ' between cast(\'' ~ bounds[0] ~ '\' as ' ~ bounds[2]
            ~ ') and cast(\'' ~ bounds[1] ~ '\' as ' ~ bounds[2] ~ ')'
        ) -%}
    {%- endif -%}
    {%- if bounds[3] -%}
        {%- do ranges.append(bounded_by ~ ' is null') -%}
    {%- endif -%}
    {{ return(ranges) }}
{%- endmacro %}
