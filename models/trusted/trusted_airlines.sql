with validated_airline_versions as (
    select * from {{ ref('int_airlines_validated') }}
    where rule_id is null
),

airline_versions as (
    select {{ star_except(['rule_id']) }}
    from validated_airline_versions
)

select * from airline_versions
