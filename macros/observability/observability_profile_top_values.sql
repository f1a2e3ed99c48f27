{#- The most frequent values of a text column (approximate), as a list. -#}
{% macro observability_profile_top_values(expression) -%}
    {{ return(adapter.dispatch('observability_profile_top_values')(
        expression
    )) }}
{%- endmacro %}

{% macro default__observability_profile_top_values(expression) -%}
    cast(
        approx_top_k(
            {{ expression }}, {{ var('observability_profile_top_values', 5) }}
        )
        as varchar[]
    )
{%- endmacro %}

{#- Spark SQL has no top-k aggregate: the profile leaves the field empty. -#}
{% macro spark__observability_profile_top_values(expression) -%}
    cast(null as array<string>)
{%- endmacro %}
