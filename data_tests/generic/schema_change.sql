{#- Lists the columns added, removed or retyped since the last recorded run. -#}
{% test schema_change(model) -%}
    {#- The run history is recorded on DuckDB targets only. -#}
    {{ config(enabled=(target.type == 'duckdb')) }}
    {%- set history = adapter.get_relation(
        database=model.database,
        schema='observability',
        identifier='column_schemas',
    ) if execute else none %}

    with

    current_columns as (
        select
            column_name,
            lower(data_type) as data_type
        from information_schema.columns
        where
            table_catalog = '{{ model.database }}'
            and lower(table_schema) = lower('{{ model.schema }}')
            and lower(table_name) = lower('{{ model.identifier }}')
    ),

    {%- if history is none %}

        {# Nothing recorded yet: no run to compare with. #}
        previous_columns as (
            select
                cast(null as varchar) as column_name,
                cast(null as varchar) as data_type
            where false
        ),
    {%- else %}

        recorded_columns as (
            select * from {{ history }}
            where relation_name = '{{ model | replace("'", "''") }}'
        ),

        previous_columns as (
            select
                column_name,
                data_type
            from recorded_columns
            where invocation_id = (
                select recorded_columns.invocation_id
                from recorded_columns
                inner join {{ history.incorporate(path={
                    'identifier': 'invocations'
                }) }} as invocations
                    on recorded_columns.invocation_id = invocations.invocation_id
                order by invocations.started_at desc
                limit 1
            )
        ),
    {%- endif %}

    changes as (
        select
            coalesce(current_columns.column_name, previous_columns.column_name)
                as column_name,
            case
                when previous_columns.column_name is null then 'added'
                when current_columns.column_name is null then 'removed'
                else 'retyped'
            end as change_type,
            previous_columns.data_type as previous_data_type,
            current_columns.data_type
        from current_columns
        full outer join previous_columns
            on current_columns.column_name = previous_columns.column_name
        where
            previous_columns.data_type is distinct from current_columns.data_type
            {#- A first recorded run has nothing to compare with. #}
            and exists (select 1 from previous_columns)
    )

    select * from changes
{%- endtest %}
