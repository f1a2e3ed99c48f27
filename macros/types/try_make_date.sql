{#- The date of a year, month and day; null when they form no date. -#}
{% macro try_make_date(year, month, day) -%}
    {{ return(adapter.dispatch('try_make_date')(year, month, day)) }}
{%- endmacro %}

{% macro default__try_make_date(year, month, day) -%}
    try_to_date(
        format_string('%04d-%02d-%02d', {{ year }}, {{ month }}, {{ day }}),
        'yyyy-MM-dd'
    )
{%- endmacro %}

{% macro duckdb__try_make_date(year, month, day) -%}
    try(make_date({{ year }}, {{ month }}, {{ day }}))
{%- endmacro %}
