{#- dbt.dateadd on Spark through timestampadd, the interval kept whole. -#}
{#-
    dbt-spark 1.11 multiplies the interval by 60 or 3600 without parentheses,
    so an interval such as `a + b` became `a + b * 60`; Spark 3.3+ adds any
    unit with timestampadd.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd(
        {{ datepart }},
        ({{ interval }}),
        {{ from_date_or_timestamp }}
    )
{%- endmacro %}
