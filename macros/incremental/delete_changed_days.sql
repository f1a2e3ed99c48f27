{#- Pre-hook: empties the days (or months) that changed since the last run. -#}
{% macro delete_changed_days(changed_days, column, by_month=false) -%}
    {%- if execute and is_incremental() -%}
        {%- set period = 'cast(' ~ dbt.date_trunc('month', 'flight_date')
            ~ ' as date)' if by_month else 'flight_date' -%}
        {{ return(adapter.dispatch('delete_changed_days')(
            changed_days, period, column
        )) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__delete_changed_days(changed_days, period, column) -%}
    delete from {{ this }}
    where {{ column }} in (
        select {{ period }} from {{ changed_days }}
        where changed_at > {{ last_processed_at() }}
    )
{%- endmacro %}

{#- Spark has no delete on Parquet tables: the day partitions are dropped. -#}
{% macro spark__delete_changed_days(changed_days, period, column) -%}
    {%- set days = run_query(
        'select distinct cast(' ~ period ~ ' as string) from ' ~ changed_days
        ~ ' where changed_at > ' ~ last_processed_at()
    ).columns[0].values() | reject('none') | list -%}
    {%- if days -%}
        alter table {{ this }} drop if exists
        {%- for day in days %}
            partition ({{ column }} = date '{{ day }}')
            {{- ',' if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
