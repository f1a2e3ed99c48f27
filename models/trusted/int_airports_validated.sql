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
),

{#
    Two rows of one extract can spell one key two ways (' jfk', 'JFK'):
    one current version per key is kept, a row that passed the rules above
    first, and the others are quarantined.
#}
airport_versions_ranked as (
    select
        *,
        row_number() over (
            partition by airport_id, valid_to
            order by rule_id nulls first, airport_version_id
        ) as key_rank
    from airport_versions_checked
),

airport_versions_deduplicated as (
    select
        {{ star_except(['rule_id', 'key_rank']) }},
        coalesce(
            rule_id,
            case when key_rank > 1 then 'airports_key_repeated' end
        ) as rule_id
    from airport_versions_ranked
)

select * from airport_versions_deduplicated
