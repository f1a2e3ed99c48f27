with validated_rows as (
    select * from {{ ref('int_airports_validated') }}
),

quarantined_rows as (
    select *
    from validated_rows
    where rule_id is not null
)

select * from quarantined_rows
