{#- Appends the rows of the airlines files landed since the last run. -#}
with landed_rows as (
    {{ read_landed_files('airlines', 'airlines') }}
)

select * from landed_rows
