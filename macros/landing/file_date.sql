{#- The day a file carries, from the date in its name; null if it has none. -#}
{% macro file_date(file_name) -%}
    try_cast(
        nullif(
            regexp_extract({{ file_name }}, '([0-9]{4}-[0-9]{2}-[0-9]{2})', 1),
            ''
        )
        as date
    )
{%- endmacro %}
