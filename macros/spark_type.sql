{#- A column type declared in the sources YAML, in Spark SQL's spelling. -#}
{% macro spark_type(data_type) -%}
    {%- set spellings = {'varchar': 'string', 'text': 'string'} -%}
    {{ spellings.get(data_type | lower, data_type | lower) }}
{%- endmacro %}
