{#- A UTC timestamp as the wall-clock time of an IANA time zone. -#}
{% macro utc_to_local(timestamp, time_zone) -%}
    {{ return(adapter.dispatch('utc_to_local')(timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__utc_to_local(timestamp, time_zone) -%}
    from_utc_timestamp({{ timestamp }}, {{ time_zone }})
{%- endmacro %}

{% macro duckdb__utc_to_local(timestamp, time_zone) -%}
    timezone({{ time_zone }}, timezone('UTC', {{ timestamp }}))
{%- endmacro %}
