{{ config(materialized='view') }}

with ingested_files as (
    select * from {{ source('ingestion', 'ingested_files') }}
)

select * from ingested_files
