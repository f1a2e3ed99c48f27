{#- Minutes after midnight of a clock time written as hhmm (2400 is 1440). -#}
{% macro minutes_after_midnight(hhmm) -%}
    (
        cast(floor({{ hhmm }} / 100) as integer) * 60
        + cast({{ hhmm }} as integer) % 100
    )
{%- endmacro %}
