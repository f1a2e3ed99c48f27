{#- Id and reason of the first rule a row breaks; nulls if it breaks none. -#}
{#-
    rules: a list of dicts with keys id (text), fails_when (SQL boolean over the
    row's columns) and reason (text). Returns two columns, rule_id and reason.
-#}
{% macro first_failing_rule(rules) -%}
    case
        {%- for rule in rules %}
        when {{ rule.fails_when }} then '{{ rule.id }}'
        {%- endfor %}
    end as rule_id,
    case
        {%- for rule in rules %}
        when {{ rule.fails_when }} then '{{ rule.reason }}'
        {%- endfor %}
    end as reason
{%- endmacro %}
