"""The catalog: what the project's models and columns are, where they come from, what they reach.

Owns ``dataops docs`` (``docs``: dbt docs with the column lineage, one offline site), column
lineage (``lineage``), the impact of a column (``impact``), documentation and test coverage
(``coverage``, and ``report_coverage`` for the report's dashboard) and dbt's YAML against
its JSON schemas (``yaml_schemas``: a pre-commit hook).
May import: ``dataops.core`` only.
"""
