{#- One limit of an anomaly band, kept inside the metric's domain. -#}
{% macro anomaly_band_limit(
    side, expected, margin, lower_limit, upper_limit, is_integer
) -%}
    {%- if side not in ('lower', 'upper') -%}
        {{ exceptions.raise_compiler_error(
            "anomaly_band_limit: side must be lower or upper, not " ~ side
        ) }}
    {%- endif -%}
    {%- set sign = ' - ' if side == 'lower' else ' + ' -%}
    {%- set raw = '(' ~ expected ~ sign ~ margin ~ ')' -%}
    {%- set rounded = 'floor' if side == 'lower' else 'ceil' -%}
    {#- Counts are whole: the band widens to the next whole number outside
        it. Then it is cut at the domain's limits (a rate is 0 to 1). -#}
    {%- set whole = 'case when ' ~ is_integer ~ ' then ' ~ rounded ~ raw
        ~ ' else ' ~ raw ~ ' end' -%}
    {%- set below = "coalesce(" ~ lower_limit
        ~ ", cast('-infinity' as double))" -%}
    {%- set above = "coalesce(" ~ upper_limit
        ~ ", cast('infinity' as double))" -%}
    least(greatest({{ whole }}, {{ below }}), {{ above }})
{%- endmacro %}
