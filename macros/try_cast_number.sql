{#- A number cast to a type; null when it is not finite or out of range. -#}
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
