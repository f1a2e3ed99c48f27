with plane_versions as (
    select * from {{ ref('stg_planes__planes') }}
),

{# The first rule a row breaks; its reason is in seeds/quarantine_rules.csv. #}
plane_versions_checked as (
    select
        *,
        case
            when plane_id is null then 'planes_key_missing'
            when invalid_number_columns is not null
                then 'planes_number_invalid'
            when
                seat_count not between 1 and 1000
                or engine_count not between 0 and 8
                or manufactured_year < 1903
                then 'planes_implausible_attribute'
        end as rule_id
    from plane_versions
)

select * from plane_versions_checked
