with plane_versions as (
    select * from {{ ref('trusted_planes') }}
),

{# Aggregate the history before joining it to the latest version. #}
plane_histories as (
    select
        plane_id,
        count(*) as version_count,
        min(valid_from) as first_registered_at,
        max(valid_from) as latest_valid_from
    from plane_versions
    group by plane_id
),

{#
    Every plane the register ever listed is a member, with its latest
    version: the current one, or the last before the plane left the
    register (its history in dim_planes_history refers to it).
#}
latest_versions as (
    select
        plane_versions.*,
        plane_histories.version_count,
        plane_histories.first_registered_at
    from plane_versions
    inner join plane_histories
        on
            plane_versions.plane_id = plane_histories.plane_id
            and plane_versions.valid_from = plane_histories.latest_valid_from
),

planes_flown as (
    select distinct plane_id
    from {{ ref('trusted_flights') }}
    where plane_id is not null
),

{# Tail numbers flying but never in the register become inferred members. #}
unregistered_planes as (
    select planes_flown.plane_id
    from planes_flown
    left join plane_histories
        on planes_flown.plane_id = plane_histories.plane_id
    where plane_histories.plane_id is null
),

planes_unioned as (
    select
        plane_id,
        aircraft_type,
        manufacturer,
        model,
        engine_type,
        engine_count,
        seat_count,
        cruising_speed_mph,
        manufactured_year,
        version_count,
        is_current as is_registered,
        first_registered_at,
        case when is_current then valid_from end as current_version_valid_from
    from latest_versions
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
