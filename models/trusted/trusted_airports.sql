with validated_airport_versions as (
    select * from {{ ref('int_airports_validated') }}
    where rule_id is null
),

airport_versions as (
    select {{ star_except(['rule_id']) }}
    from validated_airport_versions
)

select * from airport_versions
