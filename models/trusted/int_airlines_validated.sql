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
),

{#
    Two rows of one extract can spell one key two ways (' jfk', 'JFK'):
    one current version per key is kept, a row that passed the rules above
    first, and the others are quarantined.
#}
airline_versions_ranked as (
    select
        *,
        row_number() over (
            partition by airline_id, valid_to
            order by rule_id nulls first, airline_version_id
        ) as key_rank
    from airline_versions_checked
),

airline_versions_deduplicated as (
    select
        {{ star_except(['rule_id', 'key_rank']) }},
        coalesce(
            rule_id,
            case when key_rank > 1 then 'airlines_key_repeated' end
        ) as rule_id
    from airline_versions_ranked
)

select * from airline_versions_deduplicated
