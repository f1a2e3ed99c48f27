{#- How a relation is profiled: by day, by landed file, or whole (none). -#}
{#-
    last: the relation's profiles so far ({kind, at, full_at}: the kind of
    cut, when the last and the last full profile started), none for the
    first. A relation cut another way than last time is profiled whole.
-#}
{% macro observability_profile_part(node, columns, last, full) -%}
    {%- set names = columns | map(attribute='name') | map('lower') | list -%}
    {%- set materialized = node.config.materialized -%}
    {%- set key = node.config.get('unique_key') -%}
    {%- if materialized == 'view' -%}
        {#- a view over one day-keyed model is cut by that model's days -#}
        {%- set parents = [] -%}
        {%- for parent_id in node.depends_on.nodes
            if parent_id.startswith('model.') -%}
            {%- do parents.append(parent_id) -%}
        {%- endfor -%}
        {%- set parent = graph.nodes.get(parents[0]) if parents | length == 1
            else none -%}
        {%- set key = parent.config.get('unique_key')
            if parent and parent.config.materialized == 'incremental'
            else none -%}
    {%- endif -%}
    {%- set kind = none -%}
    {%- if materialized not in ('incremental', 'view') -%}
        {%- set kind = none -%}
    {%- elif key is string and key | lower in names
        and (key | lower).endswith('_date') -%}
        {%- set kind = 'day' -%}
    {%- elif '_file_sha256' in names and '_ingested_at' in names -%}
        {%- set kind = 'file' -%}
    {%- endif -%}
    {%- set again = full or last is none or last.kind != kind -%}
    {%- if kind == 'day' -%}
        {#- a day-keyed table: the days the change signal says changed -#}
        {%- set signal = graph.nodes.get('model.' ~ project_name ~ '.'
            ~ var('observability_profile_change_signal')) -%}
        {%- set day = 'flight_date' -%}
        {%- if (key | lower).startswith('month_') -%}
            {%- set day = 'cast(' ~ dbt.date_trunc('month', 'flight_date')
                ~ ' as date)' -%}
        {%- endif -%}
        {%- set filter = none -%}
        {%- if not again and signal is not none -%}
            {#- the days as literals: a filter DuckDB pushes into the scan
                of the table under a view, which a subquery is not -#}
            {%- set days = run_query(
                'select distinct cast(' ~ day ~ ' as ' ~ dbt.type_string()
                ~ ') from '
                ~ signal.relation_name ~ ' where changed_at > '
                ~ observability_literal(last.at) ~ ' order by 1'
            ).columns[0].values() -%}
            {%- set filter = observability_in_list(
                adapter.quote(key), days, 'date') -%}
        {%- endif -%}
        {{ return({
            'kind': kind,
            'expression': 'cast(' ~ adapter.quote(key) ~ ' as '
                ~ dbt.type_string() ~ ')',
            'filter': filter,
        }) }}
    {%- elif kind == 'file' -%}
        {#-
            a landing table, or a staging view over one: the files without
            a profile since the last full one (a file never changes; one
            another target landed earlier may arrive in a later build)
        -#}
        {%- set filter = none -%}
        {%- if not again -%}
            {%- set files = run_query(
                'select distinct _file_sha256 from ' ~ node.relation_name
                ~ ' where _file_sha256 not in (select part from'
                ~ ' observability.column_part_profiles where unique_id = '
                ~ observability_literal(node.unique_id)
                ~ ' and part is not null and profiled_at >= '
                ~ observability_literal(last.full_at) ~ ') order by 1'
            ).columns[0].values() -%}
            {%- set filter = observability_in_list('_file_sha256', files) -%}
        {%- endif -%}
        {{ return({
            'kind': kind,
            'expression': '_file_sha256',
            'filter': filter,
        }) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}
