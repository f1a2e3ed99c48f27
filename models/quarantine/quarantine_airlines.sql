with validated_airlines as (
    select * from {{ ref('int_airlines_validated') }}
),

rules as (
    select
        rule_id,
        reason
    from {{ ref('quarantine_rules') }}
),

{# The rows a rule rejected, with the rule's reason from the catalogue. #}
quarantined_airlines as (
    select
        validated_airlines.*,
        rules.reason
    from validated_airlines
    left join rules
        on validated_airlines.rule_id = rules.rule_id
    where validated_airlines.rule_id is not null
)

select * from quarantined_airlines
