{#- Keys whose latest version a hard rule rejected since the last run. -#}
{#-
    With the calling model's `key_bounded_by` column, for
    delete_leaving_keys. On an incremental run, only the keys validated
    since the calling model's last run: those rejected before left it then.
-#}
{% macro rejected_keys(validated, key) -%}
    {%- set bounded_by = config.get('key_bounded_by') -%}
    select
        {{ key }}{{ ',\n        ' ~ bounded_by if bounded_by }}
    from {{ validated }}
    where
        version_rank = 1
        and rule_id is not null
        and {{ if_incremental('_processed_at > ' ~ last_processed_at()) }}
{%- endmacro %}
