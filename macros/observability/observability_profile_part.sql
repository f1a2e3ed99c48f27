{#- How a relation is profiled: by day, by landed file, or whole (none). -#}
{% macro observability_profile_part(node, columns, watermark, full) -%}
    {%- set names = columns | map(attribute='name') | map('lower') | list -%}
    {%- set key = node.config.get('unique_key') -%}
    {%- set since = none if full or watermark is none
        else observability_literal(watermark) -%}
    {%- if node.config.materialized != 'incremental' -%}
        {{ return(none) }}
    {%- elif key is string and key | lower in names
        and (key | lower).endswith('_date') -%}
        {#- a day-keyed table: the days the change signal says changed -#}
        {%- set signal = graph.nodes.get('model.' ~ project_name ~ '.'
            ~ var('observability_profile_change_signal')) -%}
        {%- set day = 'flight_date' -%}
        {%- if (key | lower).startswith('month_') -%}
            {%- set day = 'cast(' ~ dbt.date_trunc('month', 'flight_date')
                ~ ' as date)' -%}
        {%- endif -%}
        {{ return({
            'expression': 'cast(' ~ adapter.quote(key) ~ ' as '
                ~ dbt.type_string() ~ ')',
            'filter': none if since is none or signal is none else
                adapter.quote(key) ~ ' in (select ' ~ day ~ ' from '
                ~ signal.relation_name ~ ' where changed_at > ' ~ since ~ ')',
        }) }}
    {%- elif '_file_sha256' in names and '_ingested_at' in names -%}
        {#- a landing table: the files landed since -#}
        {{ return({
            'expression': '_file_sha256',
            'filter': none if since is none else '_ingested_at > ' ~ since,
        }) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}
