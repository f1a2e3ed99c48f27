with plane_versions as (
    select * from {{ ref('trusted_planes') }}
),

current_planes as (
    select * from plane_versions
    where is_current
),

{# Aggregate the history before joining it to the current version. #}
plane_histories as (
    select
        plane_id,
        count(*) as version_count,
        min(valid_from) as first_registered_at
    from plane_versions
    group by plane_id
),

planes_flown as (
    select distinct plane_id
    from {{ ref('trusted_flights') }}
    where plane_id is not null
),

{# Tail numbers flying but missing from the register become inferred members. #}
unregistered_planes as (
    select planes_flown.plane_id
    from planes_flown
    left join current_planes
        on planes_flown.plane_id = current_planes.plane_id
    where current_planes.plane_id is null
),

planes_unioned as (
    select
        current_planes.plane_id,
        current_planes.aircraft_type,
        current_planes.manufacturer,
        current_planes.model,
        current_planes.engine_type,
        current_planes.engine_count,
        current_planes.seat_count,
        current_planes.cruising_speed_mph,
        current_planes.manufactured_year,
        plane_histories.version_count,
        true as is_registered,
        plane_histories.first_registered_at,
        current_planes.valid_from as current_version_valid_from
    from current_planes
    inner join plane_histories
        on current_planes.plane_id = plane_histories.plane_id
    union all
    select
        plane_id,
        cast(null as {{ dbt.type_string() }}) as aircraft_type,
        cast(null as {{ dbt.type_string() }}) as manufacturer,
        cast(null as {{ dbt.type_string() }}) as model,
        cast(null as {{ dbt.type_string() }}) as engine_type,
        cast(null as integer) as engine_count,
        cast(null as integer) as seat_count,
        cast(null as integer) as cruising_speed_mph,
        cast(null as integer) as manufactured_year,
        cast(0 as bigint) as version_count,
        false as is_registered,
        cast(null as {{ dbt.type_timestamp() }}) as first_registered_at,
        cast(null as {{ dbt.type_timestamp() }}) as current_version_valid_from
    from unregistered_planes
)

select * from planes_unioned
