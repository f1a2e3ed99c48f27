{#- Makes the ingestion log readable as the source landing.ingested_files. -#}
{% macro register_ingestion_log() -%}
    {{ return(adapter.dispatch('register_ingestion_log')()) }}
{%- endmacro %}

{#- DuckDB targets keep the log as a table of their own file: nothing to do. -#}
{% macro default__register_ingestion_log() -%}
    select 1 as log_kept_in_warehouse
{%- endmacro %}

{#-
    Spark reads the Parquet copy of the log that `dataops ingest` writes after
    every run, as an external table (dropping it leaves the file in place).
    Var ingestion_log_target names whose log to read (default: this target).
-#}
{% macro spark__register_ingestion_log() -%}
    {%- set log_target = var('ingestion_log_target', target.name) -%}
    {%- set location = var('data_dir') ~ '/landing/_ingestion/' ~ log_target -%}
    {%- set ingestion_log = source('ingestion', 'ingested_files') -%}
    {%- do run_query(
        'create database if not exists ' ~ ingestion_log.schema
    ) -%}
    {%- do run_query('drop table if exists ' ~ ingestion_log) -%}
    create table {{ ingestion_log }}
    using parquet
    location {{ sql_string(location) }}
{%- endmacro %}
