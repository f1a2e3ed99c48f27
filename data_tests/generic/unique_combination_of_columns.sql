{#- Fails with each combination of the columns that occurs more than once. -#}
{% test unique_combination_of_columns(model, combination_of_columns) -%}
    with duplicated_combinations as (
        select
            {{ combination_of_columns | join(', ') }},
            count(*) as occurrences
        from {{ model }}
        group by {{ combination_of_columns | join(', ') }}
        having count(*) > 1
    )

    select * from duplicated_combinations
{%- endtest %}
