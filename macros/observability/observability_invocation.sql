{#- The row of observability.invocations for this invocation, as a select. -#}
{% macro observability_invocation(results) -%}
    {%- set lit = observability_literal -%}
    {%- set selection = [] -%}
    {%- for option in ['select', 'exclude', 'selector'] -%}
        {%- set given = invocation_args_dict.get(option) -%}
        {%- if given -%}
            {%- do selection.append('--' ~ option ~ ' ' ~ (
                [given] if given is string else given
            ) | join(' ')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set statuses = results | map(attribute='status') | map('string')
        | map('lower') | list -%}
    {%- set errors = statuses | select('in', ['error', 'fail', 'runtime error'])
        | list | length -%}
    {%- set warnings = statuses | select('equalto', 'warn') | list | length -%}
    select
        {{ lit(invocation_id) }} as invocation_id,
        {{ lit('source freshness' if flags.WHICH == 'freshness'
            else flags.WHICH) }} as command,
        {{ lit(target.name) }} as target_name,
        {{ lit(selection | join(' ')) }} as selection,
        {{ lit(run_started_at) }} as started_at,
        {{ lit(modules.datetime.datetime.now(modules.pytz.utc)) }} as ended_at,
        {{ lit('error' if errors else ('warn' if warnings else 'success')) }}
            as status,
        {{ lit(dbt_version) }} as dbt_version,
        {{ results | length }} as node_count,
        {{ errors }} as error_count,
        {{ warnings }} as warn_count
{%- endmacro %}
