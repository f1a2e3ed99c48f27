"""Which failures are retried, and which stop the run at once.

A lock held by another process (a reader of the warehouse, an ingest or a
publish still running) is transient: the step is tried again, up to three
times, about 5, 10 then 20 seconds later (with jitter). A failing test, a model
that does not build, a landed file that changed: trying again gives the same
result, so the step fails at once (a ``Failure`` that bypasses the retry policy).
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import Backoff, Failure, Jitter, RetryPolicy

from dataops.core.errors import DUCKDB_LOCK_MESSAGES

TRANSIENT = RetryPolicy(
    max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
# DuckDB's refusal of a second writer (or of a writer while a reader holds the file),
# as DuckDB and as ingest and verify say it, and the project's own locks.
TRANSIENT_MESSAGES = (
    *DUCKDB_LOCK_MESSAGES,
    "is locked by another process",
    "another dataops ingest is running",
    "another publish or rollback is running",
)
# Metadata of a Failure whose cause the alerts already sent (the failing tests of a
# build, a blocked publish): the run-failure sensor sends nothing more for it.
ALERTED = "dataops/alerted"


def is_transient(text: str) -> bool:
    lowered = text.lower()
    return any(message in lowered for message in TRANSIENT_MESSAGES)


def stop(description: str, alerted: bool, metadata: Mapping[str, object] | None = None) -> Failure:
    """A failure that retrying cannot fix: the step fails now."""
    return Failure(
        description=description,
        metadata={**(metadata or {}), ALERTED: alerted},
        allow_retries=False,
    )
