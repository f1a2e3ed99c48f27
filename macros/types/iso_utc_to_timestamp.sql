{#- ISO 8601 UTC text ('2013-01-01T10:00:00Z') as a timestamp without zone. -#}
{% macro iso_utc_to_timestamp(text) -%}
    try_cast(
        replace(replace({{ text }}, 'T', ' '), 'Z', '')
        as {{ dbt.type_timestamp() }}
    )
{%- endmacro %}
