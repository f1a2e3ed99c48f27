{#- Bucket 0..buckets-1 of an md5 hex key, stable across engines and runs. -#}
{% macro hash_bucket(md5_hex, buckets) -%}
    {{ return(adapter.dispatch('hash_bucket')(md5_hex, buckets)) }}
{%- endmacro %}

{% macro default__hash_bucket(md5_hex, buckets) -%}
    cast(conv(substr({{ md5_hex }}, 1, 8), 16, 10) as bigint) % {{ buckets }}
{%- endmacro %}

{% macro duckdb__hash_bucket(md5_hex, buckets) -%}
    cast(('0x' || substr({{ md5_hex }}, 1, 8)) as bigint) % {{ buckets }}
{%- endmacro %}
