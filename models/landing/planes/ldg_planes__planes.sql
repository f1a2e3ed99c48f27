{#- Appends the rows of the planes files landed since the last run. -#}
with landed_rows as (
    {{ read_landed_files('planes', 'planes') }}
)

select * from landed_rows
