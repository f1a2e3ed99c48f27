{#- Deletes the stored rows of keys that leave the model (a pre-hook). -#}
{#-
    `keys`: a select of the model's unique key (and of its `key_bounded_by`
    column) for the keys that must leave it, e.g. those a rule now rejects.
    The selects are bounded by the model's watermark, last_processed_at():
    as a pre-hook it is still the previous run's, and the keys that left
    before were deleted then. The delete reads the blocks within the keys'
    key_bounded_ranges only; nothing runs when no key leaves, nor on a full
    build (the model's select leaves those keys out).
-#}
{% macro delete_leaving_keys(keys) -%}
    {%- if execute and is_incremental() -%}
        {%- set key = config.get('unique_key') -%}
        {%- for range in key_bounded_ranges('(' ~ keys ~ ')') %}
    delete from {{ this }}
    where
        {{ range }}
        and {{ key }} in (
            select leaving_keys.{{ key }}
            from ({{ keys }}) as leaving_keys
        );
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
