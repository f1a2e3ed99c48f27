{#- A filter that applies on incremental runs only (`otherwise` else). -#}
{% macro if_incremental(condition, otherwise='true') -%}
    {%- if is_incremental() -%}
        ({{ condition }})
    {%- else -%}
        {{ otherwise }}
    {%- endif -%}
{%- endmacro %}
