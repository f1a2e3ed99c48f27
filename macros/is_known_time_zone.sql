{#- Whether a text names a time zone the engine knows (null stays null). -#}
{#-
    An unknown name (a typo in a register) would fail every conversion that
    uses it (DuckDB's `timezone`, Spark's `to_utc_timestamp`), so the
    validated airports quarantine it. DuckDB lists its zones; Spark has no
    list in SQL: there the name must have the shape of an IANA name
    (`Area/Location`) or be UTC.
-#}
{% macro is_known_time_zone(time_zone) -%}
    {{ return(adapter.dispatch('is_known_time_zone')(time_zone)) }}
{%- endmacro %}

{% macro default__is_known_time_zone(time_zone) -%}
    ({{ time_zone }} rlike '^(UTC|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+)+)$')
{%- endmacro %}

{% macro duckdb__is_known_time_zone(time_zone) -%}
    ({{ time_zone }} in (select known.name from pg_timezone_names() as known))
{%- endmacro %}
