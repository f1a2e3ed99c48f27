{#- Fails with every row whose column lies outside [min_value, max_value]. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) -%}
    with rows_out_of_range as (
        select *
        from {{ model }}
        where
            {{ column_name }} is not null
            and (
                false
                {%- if min_value is not none %}
                    or {{ column_name }} < {{ min_value }}
                {%- endif %}
                {%- if max_value is not none %}
                    or {{ column_name }} > {{ max_value }}
                {%- endif %}
            )
    )

    select * from rows_out_of_range
{%- endtest %}
