{#- A UTC timestamp as ISO 8601 text ('2013-01-01T10:00:00Z'). -#}
{% macro timestamp_to_iso_utc(timestamp) -%}
    {{ return(adapter.dispatch('timestamp_to_iso_utc')(timestamp)) }}
{%- endmacro %}

{% macro default__timestamp_to_iso_utc(timestamp) -%}
    date_format({{ timestamp }}, "yyyy-MM-dd'T'HH:mm:ss'Z'")
{%- endmacro %}

{% macro duckdb__timestamp_to_iso_utc(timestamp) -%}
    strftime({{ timestamp }}, '%Y-%m-%dT%H:%M:%SZ')
{%- endmacro %}
