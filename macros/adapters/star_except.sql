{#- Every column of the relation in the from clause but the ones named. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{% macro duckdb__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}
