{#- The source columns whose number try_cast_number could not use, or null. -#}
{#-
    columns: a mapping of source column to the type staging casts it to.
    The names of the columns that hold a value (not null) that the cast
    turns into null, separated by ', ', in the order given; null when none.
-#}
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
