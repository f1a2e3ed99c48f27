{#- A number cast to a type; null when it is not finite or out of range. -#}
{% macro try_cast_number(value, type) -%}
    try_cast(
        case
            when
                not isnan({{ value }})
                and abs({{ value }}) != cast('Infinity' as double)
                then {{ value }}
        end as {{ type }}
    )
{%- endmacro %}
