{#- Flight dates whose facts changed since the model's last run. -#}
{#-
    The dates of the facts processed since (fct_flights), and of the
    flights a rule rejected since (they left the facts). Both reads are
    bounded by the watermark, a literal on an incremental run: they skip
    the blocks processed before.
-#}
{% macro changed_flight_dates() -%}
    select flight_date
    from {{ ref('fct_flights') }}
    where _processed_at > {{ last_processed_at() }}
    union
    select flight_date
    from {{ ref('int_flights_validated') }}
    where
        version_rank = 1
        and rule_id is not null
        and _processed_at > {{ last_processed_at() }}
{%- endmacro %}

{#- Filter of the flights in a period (day, month) with a changed date. -#}
{#-
    On an incremental run the changed periods are read when the model
    compiles: their first and last days bound `flight_date` with literals,
    which reach the scan of the facts (stored in flight-date order), next to
    the exact set; `false` when nothing changed. Otherwise the set alone.
-#}
{% macro in_changed_flight_periods(period='day') -%}
    {%- set truncated = 'flight_date' if period == 'day'
        else dbt.date_trunc(period, 'flight_date') -%}
    {%- set changed_periods -%}
        select distinct {{ truncated }} as changed_period
        from ({{ changed_flight_dates() }}) as changed_dates
    {%- endset -%}
    {%- if execute and is_incremental() -%}
        {%- set bounds = run_query(
            'select cast(min(changed_period) as date), cast('
            ~ dbt.dateadd(period, 1, 'max(changed_period)')
            ~ ' as date) from (' ~ changed_periods ~ ') as changed'
        ).rows[0] -%}
        {%- if bounds[0] is none -%}
            false
        {%- else -%}
            flight_date >= cast('{{ bounds[0] }}' as date)
            and flight_date < cast('{{ bounds[1] }}' as date)
            and {{ truncated }} in ({{ changed_periods }})
        {%- endif -%}
    {%- else -%}
        {{ truncated }} in ({{ changed_periods }})
    {%- endif -%}
{%- endmacro %}
