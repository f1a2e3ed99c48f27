{#- The versions to validate of a keyed source, ranked latest file first. -#}
{#-
    Incremental: only the rows of files not validated yet are read, with the
    versions already validated of the keys they send again, so that the
    latest file still wins; the caller's delete+insert replaces those keys.
    A full build reads every staged row.
-#}
{#-
    The model's `key_bounded_by`, a column the key determines (the same key
    never has two values of it): the known versions are read between its
    least and greatest value among the new rows (or where it is null), so
    the scan skips the other blocks of rows.
-#}
{% macro ranked_versions(staged, key) -%}
    {%- set bounded_by = config.get('key_bounded_by') -%}
    {#-
        The staged columns that order the rows of one key in one file (all
        but the key and the file's). In a unit test the staged model is a
        fixture CTE, which the catalog does not hold: there, such rows tie.
    -#}
    {%- set tie_breakers = [] -%}
    {%- if execute and not staged.is_cte -%}
        {%- for column in adapter.get_columns_in_relation(staged) -%}
            {%- if column.name not in [key, '_ingested_at', '_file_sha256'] -%}
                {%- do tie_breakers.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {#-
        The files not validated yet are listed first (a small query on the
        file column), so that the filter on the staged rows is a list of
        values and a lower bound on `_ingested_at`: both reach the scan of
        the landing table under the staging view, which then reads the new
        files' blocks only and computes the staging columns for their rows.
    -#}
    {%- set new_files = [] -%}
    {%- if is_incremental() and execute -%}
        {%- set new_files_query -%}
            select
                staged_files._file_sha256,
                staged_files.first_ingested_at
            from (
                select
                    _file_sha256,
                    min(_ingested_at) as first_ingested_at
                from {{ staged }}
                group by _file_sha256
            ) as staged_files
            where staged_files._file_sha256 not in (
                select distinct validated._file_sha256
                from {{ this }} as validated
            )
            order by staged_files.first_ingested_at
        {%- endset -%}
        {%- for row in run_query(new_files_query) -%}
            {%- do new_files.append(row) -%}
        {%- endfor -%}
    {%- endif %}
    with new_rows as (
        select staged.*
        from {{ staged }} as staged
        {%- if is_incremental() %}
            where
            {%- if new_files %}
                staged._ingested_at >= cast(
                    '{{ new_files[0][1] }}' as {{ dbt.type_timestamp() }}
                )
                and staged._file_sha256 in (
                    {%- for file in new_files %}
                    '{{ file[0] }}'{{ ',' if not loop.last }}
                    {%- endfor %}
                )
            {%- else %}
                false
            {%- endif %}
        {%- endif %}
    ),

    known_versions as (
        {%- if is_incremental() %}
            select {{ column_names(staged) }}
            from {{ this }} as validated
            where
                validated.{{ key }} in (
                    select new_rows.{{ key }} from new_rows
                )
                {%- if bounded_by %}
                    and validated.{{ bounded_by }} >= (
                        select min(new_rows.{{ bounded_by }}) as lowest
                        from new_rows
                    )
                    and validated.{{ bounded_by }} <= (
                        select max(new_rows.{{ bounded_by }}) as highest
                        from new_rows
                    )
                {%- endif %}
            {%- if bounded_by %}
                {#- apart, not `or`: an `or` would scan every block #}
                union all
                select {{ column_names(staged) }}
                from {{ this }} as validated
                where
                    validated.{{ bounded_by }} is null
                    and validated.{{ key }} in (
                        select new_rows.{{ key }} from new_rows
                    )
            {%- endif %}
        {%- else %}
            select * from new_rows
            where false
        {%- endif %}
    ),

    versions as (
        select * from new_rows
        union all
        select * from known_versions
    )

    {#-
        Latest file wins: a key sent again in a later file replaces it.
        Rows of one key in one file are ordered by their other columns, so
        that the row kept is the same on every run, incremental or full:
        rows equal in every column may tie, and are interchangeable.
    #}
    {%- set version_order -%}
        partition by {{ key }}
        order by
            _ingested_at desc,
            _file_sha256 desc
            {%- for column in tie_breakers %},
            {{ column }} asc nulls last
            {%- endfor %}
    {%- endset %}
    select
        *,
        row_number() over ({{ version_order }}) as version_rank,
        coalesce(
            lag(_file_sha256) over ({{ version_order }}) = _file_sha256,
            false
        ) as is_duplicate_in_file
    from versions
{%- endmacro %}
