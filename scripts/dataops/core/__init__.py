"""The core: what every capability stands on, and nothing that belongs to one of them.

Owns the project and its targets (``project``: folders, profiles, sandbox names), the one
error type (``errors``), the warehouse's zones and their row counts (``zones``), file helpers
(``files``: atomic writes, hashing, locks, unwritable folders), dbt run in-process
(``dbt``: ``run_dbt`` and its ``DbtOutcome``), ``dataops build`` with the daily run
(``build``), and the local Spark cluster of the ``spark_cluster`` target (``spark_cluster``:
it belongs here rather than to a capability because it is the runtime of one of the
project's dbt targets, as DuckDB is of the others: whoever builds on that target needs it,
the command line and the Spark tests alike, and it needs nothing but the project).
May import: nothing of dataops outside ``dataops.core``; the checks a build needs from a
capability (the landed files re-hashed) are passed in by its callers.
"""
