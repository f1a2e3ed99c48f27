{#- True when a reference (SCD2) version opened or closed since. -#}
{% macro references_changed_since(references, since) -%}
    (
        {%- for reference in references %}
            exists (
                select 1 as changed
                from {{ reference }}
                where
                    valid_from > {{ since }}
                    or valid_to > {{ since }}
            )
            {{- ' or' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
