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
        case
            when validated_observations.rule_id = 'weather_dated_outside_file'
                then {{ dbt.concat([
                    'rules.reason',
                    "': dated '",
                    dbt.safe_cast('validated_observations.observed_date_local', dbt.type_string()),
                    "' in a file of '",
                    "coalesce(" ~ dbt.safe_cast(
                        'validated_observations._file_date', dbt.type_string()
                    ) ~ ", 'no day')",
                    "' received '",
                    dbt.safe_cast(
                        'cast(validated_observations._ingested_at as date)', dbt.type_string()
                    ),
                ]) }}
            else rules.reason
        end as reason
    from validated_observations
    left join rules
        on validated_observations.rule_id = rules.rule_id
    where validated_observations.rule_id is not null
)

select * from quarantined_observations
