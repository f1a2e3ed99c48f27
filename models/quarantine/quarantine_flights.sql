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
        case
            when validated_flights.rule_id = 'flights_dated_outside_file'
                then {{ dbt.concat([
                    'rules.reason',
                    "': dated '",
                    dbt.safe_cast('validated_flights.flight_date', dbt.type_string()),
                    "' in a file of '",
                    "coalesce(" ~ dbt.safe_cast(
                        'validated_flights._file_date', dbt.type_string()
                    ) ~ ", 'no day')",
                    "' received '",
                    dbt.safe_cast(
                        'cast(validated_flights._ingested_at as date)', dbt.type_string()
                    ),
                ]) }}
            else rules.reason
        end as reason
    from validated_flights
    left join rules
        on validated_flights.rule_id = rules.rule_id
    where validated_flights.rule_id is not null
)

select * from quarantined_flights
