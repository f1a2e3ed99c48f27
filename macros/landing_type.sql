{#- A column type declared in the sources YAML, in the target's spelling. -#}
{% macro landing_type(data_type) -%}
    {#- Spark wants a length for varchar: the string type of the engine. -#}
    {%- if data_type | lower in ('varchar', 'text', 'string') -%}
        {{ dbt.type_string() }}
    {%- else -%}
        {{ data_type | lower }}
    {%- endif -%}
{%- endmacro %}
