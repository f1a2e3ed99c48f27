{#- The latest `_processed_at` (or `column`) of the model: its watermark. -#}
{% macro last_processed_at(column='_processed_at') -%}
    (
        select
            coalesce(
                max({{ column }}),
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            ) as last_processed_at
        from {{ this }}
    )
{%- endmacro %}
