{#- A test's rows: its `where`, and in a day's publish the rows it changed. -#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set changed = audit_changed_rows_filter() -%}
    {%- if changed -%}
        {%- do filters.append(changed) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- set filtered -%}
            (
                select * from {{ relation }}
                where {{ filters | join(' and ') }}
            ) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
