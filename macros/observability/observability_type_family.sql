{#- The profile's family of a column type: number, text, date, ... -#}
{% macro observability_type_family(data_type) -%}
    {%- set type = (data_type or '') | lower | trim -%}
    {%- set numbers = [
        'tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint',
        'utinyint', 'usmallint', 'uinteger', 'ubigint', 'uhugeint', 'float',
        'real', 'double', 'decimal', 'numeric', 'long', 'short', 'byte',
    ] -%}
    {%- set base = type.split('(')[0] | trim -%}
    {%- if base in numbers -%}
        {{ return('number') }}
    {%- elif base in ('varchar', 'char', 'text', 'string', 'bpchar') -%}
        {{ return('text') }}
    {%- elif base == 'date' -%}
        {{ return('date') }}
    {%- elif base.startswith('timestamp') or base == 'datetime' -%}
        {{ return('timestamp') }}
    {%- elif base.startswith('time') -%}
        {{ return('time') }}
    {%- elif base in ('boolean', 'bool') -%}
        {{ return('boolean') }}
    {%- else -%}
        {{ return('other') }}
    {%- endif -%}
{%- endmacro %}
