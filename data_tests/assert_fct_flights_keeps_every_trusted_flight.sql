{#-
    Cancelled and diverted flights are flagged, never dropped: one fact per
    trusted flight.
-#}
with counts as (
    select
        (
            select count(*) as row_count
            from {{ ref('trusted_flights') }}
        ) as trusted_flights,
        (
            select count(*) as row_count
            from {{ ref('fct_flights') }}
        ) as fact_flights
),

mismatches as (
    select * from counts
    where trusted_flights != fact_flights
)

select * from mismatches
