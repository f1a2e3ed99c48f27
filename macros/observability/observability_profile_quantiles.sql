{#- The 5, 25, 50, 75 and 95% quantiles of a column, as a list of text. -#}
{% macro observability_profile_quantiles(expression, family) -%}
    {{ return(adapter.dispatch('observability_profile_quantiles')(
        expression, family
    )) }}
{%- endmacro %}

{% macro default__observability_profile_quantiles(expression, family) -%}
    {%- set quantile = 'quantile_cont' if family == 'number'
        else 'quantile_disc' -%}
    cast(
        {{ quantile }}({{ expression }}, [0.05, 0.25, 0.5, 0.75, 0.95])
        as varchar[]
    )
{%- endmacro %}

{% macro spark__observability_profile_quantiles(expression, family) -%}
    transform(
        percentile_approx({{ expression }}, array(0.05, 0.25, 0.5, 0.75, 0.95)),
        q -> cast(q as string)
    )
{%- endmacro %}
