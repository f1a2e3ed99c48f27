{#- A column type declared in the sources YAML, in the target's spelling. -#}
{% macro landing_type(data_type) -%}
    {%- if data_type | lower in ('varchar', 'text', 'string') -%}
        {{ dbt.type_string() }}
    {%- else -%}
        {{ data_type | lower }}
    {%- endif -%}
{%- endmacro %}
