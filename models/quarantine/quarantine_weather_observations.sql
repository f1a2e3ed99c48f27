with validated_observations as (
    select * from {{ ref('int_weather_observations_validated') }}
),

rules as (
    select
        rule_id,
        reason
    from {{ ref('quarantine_rules') }}
),

{# The rows a rule rejected, with the rule's reason from the catalogue. #}
quarantined_observations as (
    select
        validated_observations.*,
        rules.reason
    from validated_observations
    left join rules
        on validated_observations.rule_id = rules.rule_id
    where validated_observations.rule_id is not null
)

select * from quarantined_observations
