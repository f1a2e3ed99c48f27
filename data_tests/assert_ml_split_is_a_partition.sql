{#-
    Train and validation are disjoint and together hold every labelled
    feature row.
-#}
with features as (
    select flight_id from {{ ref('ml_delay_features') }}
),

train as (
    select flight_id from {{ ref('ml_delay_train') }}
),

validation as (
    select flight_id from {{ ref('ml_delay_validation') }}
),

in_both as (
    select
        train.flight_id,
        'in train and validation' as problem
    from train
    inner join validation
        on train.flight_id = validation.flight_id
),

in_neither as (
    select
        features.flight_id,
        'in neither train nor validation' as problem
    from features
    left join train
        on features.flight_id = train.flight_id
    left join validation
        on features.flight_id = validation.flight_id
    where train.flight_id is null and validation.flight_id is null
)

select * from in_both
union all
select * from in_neither
