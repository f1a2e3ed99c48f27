{#- Keys whose latest version a hard rule rejected. -#}
{% macro rejected_keys(validated, key) -%}
    select {{ key }}
    from {{ validated }}
    where version_rank = 1 and rule_id is not null
{%- endmacro %}
