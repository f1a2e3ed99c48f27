{#- on-run-end hook: profiles what the invocation built (or all: full). -#}
{% macro record_column_profiles(results=none, full=false, relations=none) -%}
    {%- if not execute or not var('observability_enabled', true)
        or not var('observability_profiles_enabled', true)
        or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lit = observability_literal -%}
    {%- set zones = var('observability_profile_zones') | map('lower') | list -%}
    {%- set nodes = [] -%}
    {%- if relations -%}
        {#- named relations (schema.table), profiled whole -#}
        {%- for name in relations -%}
            {%- set schema, table = name.split('.') -%}
            {%- do nodes.append({
                'unique_id': 'relation.' ~ name, 'relation_name': name,
                'schema': schema, 'alias': table, 'name': table,
                'config': {'materialized': 'table'},
            }) -%}
        {%- endfor -%}
    {%- elif results is not none -%}
        {%- for result in results if result.node.resource_type in (
            'model', 'snapshot', 'seed') and result.status == 'success'
            and result.node.config.materialized != 'ephemeral'
            and result.node.schema | lower in zones -%}
            {%- do nodes.append(result.node) -%}
        {%- endfor -%}
    {%- else -%}
        {%- for node in graph.nodes.values() if node.resource_type in (
            'model', 'snapshot', 'seed') and node.config.enabled
            and node.config.materialized != 'ephemeral'
            and node.schema | lower in zones -%}
            {%- do nodes.append(node) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not nodes -%}
        {{ return('') }}
    {%- endif -%}
    {%- do run_query('create schema if not exists observability') -%}
    {%- for table_name in [
        'column_part_profiles', 'column_profiles', 'profile_runs',
        'profile_findings',
    ] -%}
        {%- set model = graph.nodes[
            'model.' ~ project_name ~ '.' ~ table_name
        ] -%}
        {%- do run_query(
            'create table if not exists observability.' ~ table_name
            ~ ' as ' ~ model.raw_code
        ) -%}
    {%- endfor -%}
    {#- the columns of every relation, one query; absent relations drop out -#}
    {%- set found = run_query(
        'select lower(table_schema), lower(table_name), column_name,'
        ~ ' data_type, ordinal_position from information_schema.columns'
        ~ ' where table_catalog = ' ~ lit(target.database)
        ~ ' order by 1, 2, 5'
    ) -%}
    {%- set columns_of = {} -%}
    {%- for row in found.rows -%}
        {%- do columns_of.setdefault(row[0] ~ '.' ~ row[1], []).append({
            'name': row[2], 'data_type': row[3] | lower,
            'family': observability_type_family(row[3]), 'position': row[4],
        }) -%}
    {%- endfor -%}
    {#- each relation's last cut, last profile and last full profile -#}
    {%- set watermarks = {} -%}
    {%- for row in run_query(
        'select unique_id, arg_max(part_kind, started_at), max(started_at),'
        ~ ' max(case when is_full then started_at end)'
        ~ ' from observability.profile_runs where unique_id is not null'
        ~ ' group by unique_id'
    ).rows -%}
        {%- do watermarks.update({row[0]: {
            'kind': none if row[1] == 'whole' else row[1],
            'at': row[2], 'full_at': row[3],
        }}) -%}
    {%- endfor -%}
    {%- set profiled = [] -%}
    {%- for node in nodes -%}
        {%- set columns = columns_of.get(
            (node.schema ~ '.' ~ (node.alias or node.name)) | lower) -%}
        {%- if columns -%}
            {%- do profiled.append(node) -%}
            {%- set started = run_query(
                'select ' ~ processed_at()).columns[0].values()[0] -%}
            {#- the seconds count finding the changed days or new files -#}
            {%- set clock = modules.datetime.datetime.now() -%}
            {%- set part = observability_profile_part(
                node, columns, watermarks.get(node.unique_id), full) -%}
            {#- no changed day, no new file: nothing to read -#}
            {%- if part is none or part.filter != 'false' -%}
                {%- do run_query(
                    'insert into observability.column_part_profiles by name\n'
                    ~ observability_profile_relation(node, columns, part)
                ) -%}
            {%- endif -%}
            {%- set seconds = (modules.datetime.datetime.now() - clock)
                .total_seconds() -%}
            {%- do run_query(
                'insert into observability.profile_runs by name select '
                ~ lit(invocation_id) ~ ' as invocation_id, '
                ~ lit(node.unique_id) ~ ' as unique_id, '
                ~ lit(node.relation_name) ~ ' as relation_name, '
                ~ lit('whole' if part is none else part.kind)
                ~ ' as part_kind, '
                ~ lit(full or part is none or part.filter is none)
                ~ ' as is_full, '
                ~ '(select count(distinct part) + coalesce(max(case when'
                ~ ' part is null then 1 else 0 end), 0)'
                ~ ' from observability.column_part_profiles where'
                ~ ' invocation_id = ' ~ lit(invocation_id)
                ~ ' and unique_id = ' ~ lit(node.unique_id)
                ~ ') as parts_profiled, '
                ~ lit(started) ~ ' as started_at, '
                ~ lit(seconds) ~ ' as profile_seconds'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- whole tables from their parts, and the findings: a run of its own -#}
    {%- set started = run_query(
        'select ' ~ processed_at()).columns[0].values()[0] -%}
    {%- set clock = modules.datetime.datetime.now() -%}
    {%- do run_query(
        'insert into observability.column_profiles by name\n'
        ~ observability_profile_assembled(profiled, full)
    ) -%}
    {%- do run_query(
        'insert into observability.profile_findings by name\n'
        ~ observability_profile_findings(
            'landing.ingested_files'
            if 'landing.ingested_files' in columns_of else none)
    ) -%}
    {%- do run_query(
        'insert into observability.profile_runs by name select '
        ~ lit(invocation_id) ~ ' as invocation_id, '
        ~ lit('assembly') ~ ' as part_kind, '
        ~ lit(profiled | length) ~ ' as parts_profiled, '
        ~ lit(started) ~ ' as started_at, '
        ~ lit((modules.datetime.datetime.now() - clock).total_seconds())
        ~ ' as profile_seconds'
    ) -%}
    {{ log('profiled ' ~ profiled | length ~ ' relations', info=false) }}
    {{ return('') }}
{%- endmacro %}
