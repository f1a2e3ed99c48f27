{#- When an incremental model (re)computes a row: `_processed_at`. -#}
{% macro processed_at() -%}
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}
