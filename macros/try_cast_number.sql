{#- A number cast to a type; null when it is not finite or out of range. -#}
{#-
    DuckDB reads `inf`, `NaN`, `1e309` (infinity) or a 30-digit number into
    a double column; casting them to an integer fails the query, and on
    Spark 4 (ANSI mode) `cast` fails on them too. Staging casts with this
    instead: the row stays, the value is null, and `invalid_number_columns`
    names the source column for the rule that quarantines the row.
    Spark: `try_cast` gives null on overflow, NaN and infinities, but keeps
    them when the type is double, hence the test before it.
-#}
{% macro try_cast_number(value, type) -%}
    {{ return(adapter.dispatch('try_cast_number')(value, type)) }}
{%- endmacro %}

{% macro default__try_cast_number(value, type) -%}
    try_cast(
        case
            when
                not isnan({{ value }})
                and abs({{ value }}) != cast('Infinity' as double)
                then {{ value }}
        end as {{ type }}
    )
{%- endmacro %}

{% macro duckdb__try_cast_number(value, type) -%}
    try_cast(case when isfinite({{ value }}) then {{ value }} end as {{ type }})
{%- endmacro %}
