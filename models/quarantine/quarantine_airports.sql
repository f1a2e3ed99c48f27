with validated_airports as (
    select * from {{ ref('int_airports_validated') }}
),

rules as (
    select
        rule_id,
        reason
    from {{ ref('quarantine_rules') }}
),

{# The rows a rule rejected, with the rule's reason from the catalogue. #}
quarantined_airports as (
    select
        validated_airports.*,
        rules.reason
    from validated_airports
    left join rules
        on validated_airports.rule_id = rules.rule_id
    where validated_airports.rule_id is not null
)

select * from quarantined_airports
