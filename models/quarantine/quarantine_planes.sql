with validated_planes as (
    select * from {{ ref('int_planes_validated') }}
),

rules as (
    select
        rule_id,
        reason
    from {{ ref('quarantine_rules') }}
),

{# The rows a rule rejected, with the rule's reason from the catalogue. #}
quarantined_planes as (
    select
        validated_planes.*,
        rules.reason
    from validated_planes
    left join rules
        on validated_planes.rule_id = rules.rule_id
    where validated_planes.rule_id is not null
)

select * from quarantined_planes
