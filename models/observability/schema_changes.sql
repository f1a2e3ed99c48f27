{{ config(materialized='view', full_refresh=none) }}

with

column_schemas as (
    select * from {{ ref('column_schemas') }}
),

invocations as (
    select * from {{ ref('invocations') }}
),

{# Each run of a relation, with the run of the same relation before it. #}
relation_runs as (
    select distinct
        column_schemas.unique_id,
        column_schemas.invocation_id,
        invocations.started_at
    from column_schemas
    inner join invocations
        on column_schemas.invocation_id = invocations.invocation_id
),

relation_runs_with_previous as (
    select
        unique_id,
        invocation_id,
        started_at,
        lag(invocation_id) over (
            partition by unique_id order by started_at, invocation_id
        ) as previous_invocation_id
    from relation_runs
),

{# Columns of each run, and the columns of the run before it, side by side. #}
current_columns as (
    select
        runs.unique_id,
        runs.invocation_id,
        runs.started_at,
        column_schemas.column_name,
        column_schemas.data_type
    from relation_runs_with_previous as runs
    inner join column_schemas
        on
            runs.unique_id = column_schemas.unique_id
            and runs.invocation_id = column_schemas.invocation_id
    where runs.previous_invocation_id is not null
),

previous_columns as (
    select
        runs.unique_id,
        runs.invocation_id,
        runs.started_at,
        column_schemas.column_name,
        column_schemas.data_type
    from relation_runs_with_previous as runs
    inner join column_schemas
        on
            runs.unique_id = column_schemas.unique_id
            and runs.previous_invocation_id = column_schemas.invocation_id
),

columns_compared as (
    select
        coalesce(current_columns.unique_id, previous_columns.unique_id)
            as unique_id,
        coalesce(current_columns.invocation_id, previous_columns.invocation_id)
            as invocation_id,
        coalesce(current_columns.column_name, previous_columns.column_name)
            as column_name,
        previous_columns.data_type as previous_data_type,
        current_columns.data_type,
        coalesce(current_columns.started_at, previous_columns.started_at)
            as detected_at
    from current_columns
    full outer join previous_columns
        on
            current_columns.unique_id = previous_columns.unique_id
            and current_columns.invocation_id = previous_columns.invocation_id
            and current_columns.column_name = previous_columns.column_name
),

changes as (
    select
        unique_id,
        invocation_id,
        case
            when previous_data_type is null then 'added'
            when data_type is null then 'removed'
            else 'retyped'
        end as change_type,
        column_name,
        previous_data_type,
        data_type,
        detected_at
    from columns_compared
    where previous_data_type is distinct from data_type
)

select * from changes
