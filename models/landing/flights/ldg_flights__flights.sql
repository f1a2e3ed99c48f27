{#- Appends the rows of the flights files landed since the last run. -#}
with landed_rows as (
    {{ read_landed_files('flights', 'flights') }}
)

select * from landed_rows
