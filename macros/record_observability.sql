{#- on-run-end hook: records the invocation into schema observability. -#}
{% macro record_observability(results) -%}
    {#- The history tables exist on DuckDB targets only. -#}
    {%- if not execute or not var('observability_enabled', true)
        or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- do observability_ensure_tables() -%}
    {%- set lit = observability_literal -%}
    {%- set run_id = observability_literal(invocation_id) -%}
    {%- set now = modules.datetime.datetime.now(modules.pytz.utc) -%}
    {%- set command = flags.WHICH -%}
    {%- if command == 'freshness' -%}
        {%- set command = 'source freshness' -%}
    {%- endif -%}
    {%- set selection = [] -%}
    {%- for option in ['select', 'exclude', 'selector'] -%}
        {%- set given = invocation_args_dict.get(option) -%}
        {%- if given -%}
            {%- set given = [given] if given is string else given -%}
            {%- do selection.append(
                '--' ~ option ~ ' ' ~ (given | join(' '))
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set statuses = [] -%}
    {%- set node_rows = [] -%}
    {%- set test_results = [] -%}
    {%- set freshness_rows = [] -%}
    {%- set built = [] -%}
    {%- set stored_relations = [] -%}
    {%- set seconds = {'minute': 60, 'hour': 3600, 'day': 86400} -%}
    {#- build also lists exposures (and saved queries): nothing ran for them -#}
    {%- set recorded_types = [
        'source', 'model', 'snapshot', 'seed', 'test', 'unit_test'
    ] -%}
    {%- set recorded_results = results | selectattr(
        'node.resource_type', 'in', recorded_types
    ) | list -%}
    {%- for result in recorded_results -%}
        {%- set node = result.node -%}
        {%- set status = (result.status | string).lower() -%}
        {%- do statuses.append(status) -%}
        {%- set timing = result.timing or [] -%}
        {%- set started = timing[0].started_at if timing else none -%}
        {%- set ended = timing[-1].completed_at if timing else none -%}
        {%- if node.resource_type == 'source' -%}
            {%- set thresholds = {} -%}
            {%- for level in ['warn_after', 'error_after'] -%}
                {%- set after = node.freshness[level]
                    if node.freshness else none -%}
                {%- if after and after.count and after.period -%}
                    {%- do thresholds.update(
                        {level: after.count * seconds[after.period]}
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do freshness_rows.append([
                node.unique_id, node.source_name, node.name,
                result.max_loaded_at, result.snapshotted_at, result.age,
                status,
                thresholds.get('warn_after'), thresholds.get('error_after'),
            ]) -%}
        {%- else -%}
            {%- set response = result.adapter_response or {} -%}
            {%- set rows_affected = response.get('rows_affected') -%}
            {%- if rows_affected is not number or rows_affected < 0 -%}
                {%- set rows_affected = none -%}
            {%- endif -%}
            {%- do node_rows.append([
                node.unique_id, node.resource_type, node.name, node.schema,
                node.config.materialized, status, started, ended,
                result.execution_time, rows_affected, result.message,
            ]) -%}
            {%- if node.resource_type in ('test', 'unit_test') -%}
                {%- do test_results.append(result) -%}
                {%- if result.failures and node.relation_name
                    and status in ('fail', 'warn') -%}
                    {%- do stored_relations.append(node.unique_id) -%}
                {%- endif -%}
            {%- elif node.resource_type in ('model', 'snapshot', 'seed')
                and status == 'success'
                and node.config.materialized != 'ephemeral' -%}
                {%- do built.append(node) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set error_count = statuses
        | select('in', ['error', 'fail', 'runtime error']) | list | length -%}
    {%- set warn_count = statuses
        | select('equalto', 'warn') | list | length -%}
    {%- set run_status = 'error' if error_count
        else ('warn' if warn_count else 'success') -%}
    {%- set statements = [] -%}
    {%- do statements.append(
        'insert into observability.invocations values ('
        ~ [
            run_id, lit(command), lit(target.name),
            lit(selection | join(' ')), lit(run_started_at), lit(now),
            lit(run_status), lit(dbt_version),
            recorded_results | length, error_count, warn_count,
        ] | join(', ') ~ ')'
    ) -%}
    {%- for table_name, rows in [
        ('node_runs', node_rows), ('source_freshness', freshness_rows)
    ] if rows -%}
        {%- set values = [] -%}
        {%- for row in rows -%}
            {%- set literals = [run_id] -%}
            {%- for value in row -%}
                {%- do literals.append(lit(value)) -%}
            {%- endfor -%}
            {%- do values.append('(' ~ literals | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- do statements.append(
            'insert into observability.' ~ table_name ~ ' values\n'
            ~ values | join(',\n')
        ) -%}
    {%- endfor -%}
    {%- if test_results -%}
        {#- Columns of the stored failing rows, read once for all tests. -#}
        {%- set stored_columns = {} -%}
        {%- if stored_relations -%}
            {%- set wanted = [] -%}
            {%- for result in test_results
                if result.node.unique_id in stored_relations -%}
                {%- do wanted.append(
                    lit(result.node.schema ~ '.' ~ result.node.alias)
                ) -%}
            {%- endfor -%}
            {%- set columns_query -%}
                select table_schema, table_name, column_name
                from information_schema.columns
                where
                    table_schema || '.' || table_name
                    in ({{ wanted | join(', ') }})
                order by table_schema, table_name, ordinal_position
            {%- endset -%}
            {%- for row in run_query(columns_query) -%}
                {%- do stored_columns.setdefault(
                    row[0] ~ '.' ~ row[1], []
                ).append(row[2]) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set masked_by_var = var('observability_masked_columns', [])
            | map('lower') | list -%}
        {%- set selects = [] -%}
        {%- for result in test_results -%}
            {%- set node = result.node -%}
            {%- set status = (result.status | string).lower() -%}
            {%- if node.resource_type == 'unit_test' -%}
                {%- set test_type, short_name = 'unit', 'unit_test' -%}
                {%- set model_id = node.tested_node_unique_id
                    or 'model.' ~ project_name ~ '.' ~ node.model -%}
            {%- elif node.test_metadata -%}
                {%- set test_type = 'generic' -%}
                {%- set short_name = node.test_metadata.name -%}
                {%- set model_id = node.attached_node -%}
            {%- else -%}
                {%- set test_type, short_name = 'singular', node.name -%}
                {%- set upstream = node.depends_on.nodes -%}
                {%- set model_id = upstream[0]
                    if upstream | length == 1 else none -%}
            {%- endif -%}
            {%- set sample, details = 'null', 'null' -%}
            {%- set columns = stored_columns.get(
                node.schema ~ '.' ~ node.alias, []
            ) -%}
            {%- if node.unique_id in stored_relations and columns -%}
                {%- set masked = masked_by_var | list -%}
                {%- set tested = graph.nodes.get(model_id) or {} -%}
                {%- for column in (tested.get('columns') or {}).values() -%}
                    {%- set meta = column.meta or {} -%}
                    {%- if (meta.get('observability') or {}).get('mask') -%}
                        {%- do masked.append(column.name | lower) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- set stored = observability_stored_rows(
                    node.relation_name, columns, masked
                ) -%}
                {%- set sample, details = stored.sample, stored.details -%}
            {%- endif -%}
            {%- set column_name = node.column_name
                if node.column_name is defined else none -%}
            {%- do selects.append('select ' ~ [
                run_id, lit(node.unique_id), lit(node.name), lit(test_type),
                lit(short_name), lit(model_id), lit(column_name),
                lit((node.config.severity or 'error') | lower), lit(status),
                lit(result.failures), sample, details,
                lit(result.execution_time), lit(result.message),
            ] | join(', ')) -%}
        {%- endfor -%}
        {%- do statements.append(
            'insert into observability.test_results\n'
            ~ selects | join('\nunion all\n')
        ) -%}
    {%- endif -%}
    {%- if built -%}
        {%- set counts = [] -%}
        {%- set relations = [] -%}
        {%- for node in built -%}
            {%- do counts.append(
                'select ' ~ lit(node.unique_id) ~ ' as unique_id, '
                ~ lit(node.relation_name) ~ ' as relation_name, '
                ~ 'count(*) as row_count from ' ~ node.relation_name
            ) -%}
            {%- do relations.append('(' ~ [
                lit(node.unique_id), lit(node.relation_name),
                lit(node.schema | lower),
                lit((node.alias or node.name) | lower),
            ] | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- do statements.append(
            'insert into observability.row_volumes select ' ~ run_id
            ~ ', unique_id, relation_name, row_count, ' ~ lit(now)
            ~ ' from (\n' ~ counts | join('\nunion all\n') ~ '\n) as counted'
        ) -%}
        {%- do statements.append(
            'insert into observability.column_schemas select ' ~ run_id
            ~ ', built.unique_id, built.relation_name, columns.column_name,'
            ~ ' lower(columns.data_type), columns.ordinal_position'
            ~ ' from information_schema.columns as columns'
            ~ ' inner join (values\n' ~ relations | join(',\n') ~ '\n)'
            ~ ' as built (unique_id, relation_name, schema_name, table_name)'
            ~ ' on lower(columns.table_schema) = built.schema_name'
            ~ ' and lower(columns.table_name) = built.table_name'
            ~ ' and columns.table_catalog = ' ~ lit(target.database)
        ) -%}
    {%- endif -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
