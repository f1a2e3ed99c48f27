{#- A local wall-clock timestamp in an IANA time zone, as a UTC timestamp. -#}
{% macro local_to_utc(timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc')(timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__local_to_utc(timestamp, time_zone) -%}
    to_utc_timestamp({{ timestamp }}, {{ time_zone }})
{%- endmacro %}

{% macro duckdb__local_to_utc(timestamp, time_zone) -%}
    cast(timezone({{ time_zone }}, {{ timestamp }}) as timestamp)
{%- endmacro %}
