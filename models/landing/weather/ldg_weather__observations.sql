{#- Appends the rows of the weather files landed since the last run. -#}
with landed_rows as (
    {{ read_landed_files('weather', 'observations') }}
)

select * from landed_rows
