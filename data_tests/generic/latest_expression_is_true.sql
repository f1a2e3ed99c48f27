{#- Fails with the latest row of each key whose expression is not true. -#}
{% test latest_expression_is_true(
    model,
    expression,
    partition_by,
    order_by
) -%}
    {#- A history appends a row per recording; the latest is the state. -#}
    with latest_rows as (
        select *
        from {{ model }}
        qualify
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by {{ order_by }} desc
            ) = 1
    ),

    rows_failing as (
        select * from latest_rows
        where not coalesce({{ expression }}, false)
    )

    select * from rows_failing
{%- endtest %}
