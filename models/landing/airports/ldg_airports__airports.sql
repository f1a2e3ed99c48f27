{#- Appends the rows of the airports files landed since the last run. -#}
with landed_rows as (
    {{ read_landed_files('airports', 'airports') }}
)

select * from landed_rows
