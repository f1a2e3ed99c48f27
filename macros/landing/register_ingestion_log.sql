{#- Makes the ingestion log readable as the source landing.ingested_files. -#}
{% macro register_ingestion_log() -%}
    {{ return(adapter.dispatch('register_ingestion_log')()) }}
{%- endmacro %}

{% macro default__register_ingestion_log() -%}
    select 1 as log_kept_in_warehouse
{%- endmacro %}

{% macro spark__register_ingestion_log() -%}
    {%- set log_target = var('ingestion_log_target', target.name) -%}
    {%- set ingestion_log = source('ingestion', 'ingested_files') -%}
    {%- do run_query(
        'create database if not exists ' ~ ingestion_log.schema
    ) -%}
    {%- do run_query('drop table if exists ' ~ ingestion_log) -%}
    create table {{ ingestion_log }}
    using parquet
    location {{ sql_string(
        var('data_dir') ~ '/landing/_ingestion/' ~ log_target
    ) }}
{%- endmacro %}
