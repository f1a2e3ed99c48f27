with airline_versions as (
    select * from {{ ref('stg_airlines__airlines') }}
),

{# The first rule a row breaks; its reason is in seeds/quarantine_rules.csv. #}
airline_versions_checked as (
    select
        *,
        case
            when airline_id is null then 'airlines_key_missing'
            when airline_name is null then 'airlines_name_missing'
        end as rule_id
    from airline_versions
)

select * from airline_versions_checked
