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
),

{#
    Two rows of one extract can spell one key two ways (' jfk', 'JFK'):
    one current version per key is kept, a row that passed the rules above
    first, and the others are quarantined.
#}
plane_versions_ranked as (
    select
        *,
        row_number() over (
            partition by plane_id, valid_to
            order by rule_id nulls first, plane_version_id
        ) as key_rank
    from plane_versions_checked
),

plane_versions_deduplicated as (
    select
        {{ star_except(['rule_id', 'key_rank']) }},
        coalesce(
            rule_id,
            case when key_rank > 1 then 'planes_key_repeated' end
        ) as rule_id
    from plane_versions_ranked
)

select * from plane_versions_deduplicated
