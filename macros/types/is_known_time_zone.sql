{#- Whether a text names a time zone the engine knows (null stays null). -#}
{% macro is_known_time_zone(time_zone) -%}
    {{ return(adapter.dispatch('is_known_time_zone')(time_zone)) }}
{%- endmacro %}

{% macro default__is_known_time_zone(time_zone) -%}
    ({{ time_zone }} rlike '^(UTC|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+)+)$')
{%- endmacro %}

{% macro duckdb__is_known_time_zone(time_zone) -%}
    ({{ time_zone }} in (select known.name from pg_timezone_names() as known))
{%- endmacro %}
