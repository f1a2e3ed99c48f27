with plane_versions as (
    select
        plane_version_id,
        plane_id,
        aircraft_type,
        manufacturer,
        model,
        engine_type,
        engine_count,
        seat_count,
        cruising_speed_mph,
        manufactured_year,
        is_current,
        valid_from,
        valid_to
    from {{ ref('trusted_planes') }}
)

select * from plane_versions
