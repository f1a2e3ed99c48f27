{#- A filter that applies on incremental runs only (`true` otherwise). -#}
{% macro if_incremental(condition) -%}
    {%- if is_incremental() -%}
        ({{ condition }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
