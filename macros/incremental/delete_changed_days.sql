{#- Pre-hook: empties the days whose rows changed upstream since last run. -#}
{% macro delete_changed_days(validated, day_column, month_column=none) -%}
    {%- if execute and is_incremental() -%}
        {%- set period = day_column if month_column is none
            else 'cast(' ~ dbt.date_trunc('month', day_column) ~ ' as date)' -%}
        {{ return(adapter.dispatch('delete_changed_days')(
            validated, period, month_column or day_column
        )) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__delete_changed_days(validated, period, column) -%}
    delete from {{ this }}
    where {{ column }} in (
        select {{ period }} from {{ validated }}
        where _processed_at > {{ last_processed_at() }}
    )
{%- endmacro %}

{#- Spark has no delete on Parquet tables: the day partitions are dropped. -#}
{% macro spark__delete_changed_days(validated, period, column) -%}
    {%- set days = run_query(
        'select distinct cast(' ~ period ~ ' as string) from ' ~ validated
        ~ ' where _processed_at > ' ~ last_processed_at()
    ).columns[0].values() | reject('none') | list -%}
    {%- if days -%}
        alter table {{ this }} drop if exists
        {%- for day in days %}
            partition ({{ column }} = date '{{ day }}')
            {{- ',' if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
