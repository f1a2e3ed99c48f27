"""Every benchmark: the measures of the pipeline, the observability and the models.

Owns the pipeline benchmark on generated data (``pipeline``: ``dataops bench``) and its
DuckDB floors (``floor``), the ingest overhead of the observability (``observability``),
the report at scale (``report``) and training and scoring times (``models``:
``dataops bench-models``). Nothing below imports a benchmark.
May import: every capability (``dataops.data``, ``dataops.ingest``, ``dataops.observability``,
``dataops.ml``, ...) and ``dataops.core``; not ``dataops.cli`` nor ``dataops.orchestration``.
"""
