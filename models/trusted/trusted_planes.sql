with validated_plane_versions as (
    select * from {{ ref('int_planes_validated') }}
    where rule_id is null
),

plane_versions as (
    select {{ star_except(['invalid_number_columns', 'rule_id']) }}
    from validated_plane_versions
)

select * from plane_versions
