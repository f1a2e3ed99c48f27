{#- Flight dates whose facts changed since the model's last run. -#}
{% macro changed_flight_dates() -%}
    select flight_date
    from {{ ref('fct_flights') }}
    where _processed_at > {{ last_processed_at() }}
    union
    select flight_date
    from {{ ref('int_flights_validated') }}
    where version_rank = 1 and rule_id is not null
{%- endmacro %}
