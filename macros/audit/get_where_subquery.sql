{#- A test's rows: its `where`, and in a day's publish the rows it changed. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set changed = audit_changed_rows_filter() -%}
    {#-
        `where` as dbt writes it: Spark reads `where (...)` right after a
        table as an alias with column names
    -#}
    {%- if changed and where -%}
        {%- set where = changed ~ ' and (' ~ where ~ ')' -%}
    {%- elif changed -%}
        {%- set where = changed -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
