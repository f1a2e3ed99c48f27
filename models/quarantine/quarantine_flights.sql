with validated_flights as (
    select * from {{ ref('int_flights_validated') }}
),

rules as (
    select
        rule_id,
        reason
    from {{ ref('quarantine_rules') }}
),

{# The rows a rule rejected, with the rule's reason from the catalogue. #}
quarantined_flights as (
    select
        validated_flights.*,
        rules.reason
    from validated_flights
    left join rules
        on validated_flights.rule_id = rules.rule_id
    where validated_flights.rule_id is not null
)

select * from quarantined_flights
