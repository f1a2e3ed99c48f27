{#- True when a reference (SCD2) version opened or closed since. -#}
{#-
    On an incremental run it is evaluated when the model compiles and
    written as `true` or `false`: next to a watermark in an `or`, a subquery
    would keep the filter from reaching the table scan (every row read).
-#}
{% macro references_changed_since(references, since) -%}
    {%- set condition -%}
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
    {%- endset -%}
    {%- if execute and is_incremental() -%}
        {{ 'true' if run_query('select ' ~ condition).columns[0].values()[0]
            else 'false' }}
    {%- else -%}
        {{ condition }}
    {%- endif -%}
{%- endmacro %}
