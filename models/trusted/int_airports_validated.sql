with airport_versions as (
    select * from {{ ref('stg_airports__airports') }}
),

{# The first rule a row breaks; its reason is in seeds/quarantine_rules.csv. #}
airport_versions_checked as (
    select
        *,
        case
            when airport_id is null then 'airports_key_missing'
            when
                latitude not between -90 and 90
                or longitude not between -180 and 180
                then 'airports_invalid_coordinates'
            when not {{ is_known_time_zone('time_zone') }}
                then 'airports_time_zone_unknown'
        end as rule_id
    from airport_versions
)

select * from airport_versions_checked
