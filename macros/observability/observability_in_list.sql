{#- `expression in (literals)`, or false for no value (nothing matches). -#}
{% macro observability_in_list(expression, values, type=none) -%}
    {%- if not values -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- set text = value.strftime('%Y-%m-%d')
            if type == 'date' and value.strftime is defined
            else value | string -%}
        {%- do literals.append(
            (type ~ ' ' if type else '') ~ sql_string(text)) -%}
    {%- endfor -%}
    {{ return(expression ~ ' in (' ~ literals | join(', ') ~ ')') }}
{%- endmacro %}
