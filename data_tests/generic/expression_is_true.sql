{#- Fails with every row for which the boolean SQL expression is not true. -#}
{% test expression_is_true(model, expression, column_name=none) -%}
    with rows_failing as (
        select *
        from {{ model }}
        where not coalesce({{ expression }}, false)
    )

    select * from rows_failing
{%- endtest %}
