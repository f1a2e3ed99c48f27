{#- A view: the split is a filter on the features, nothing to store twice. -#}
{{ config(materialized='view') }}

with features as (
    select * from {{ ref('ml_delay_features') }}
),

{#
    The split hashes the flight key: a flight stays on its side across
    rebuilds.
#}
validation_rows as (
    select * from features
    where split_bucket < {{ var('ml_validation_share_percent') }}
)

select * from validation_rows
