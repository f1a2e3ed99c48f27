{#- When an incremental model (re)computes a row: the watermark of the models downstream. -#}
{% macro processed_at() -%}
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}
