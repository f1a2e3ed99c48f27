{#- dbt.dateadd on Spark through timestampadd, the interval kept whole. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd(
        {{ datepart }},
        ({{ interval }}),
        {{ from_date_or_timestamp }}
    )
{%- endmacro %}
