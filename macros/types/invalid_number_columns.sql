{#- The source columns whose number try_cast_number could not use, or null. -#}
{% macro invalid_number_columns(columns) -%}
    nullif(
        concat_ws(
            ', '
            {%- for column, type in columns.items() %},
            case
                when
                    {{ column }} is not null
                    and {{ try_cast_number(column, type) }} is null
                    then '{{ column }}'
            end
            {%- endfor %}
        ),
        ''
    )
{%- endmacro %}
