"""The record of a publish: ``publish.json`` beside prod's artifacts, and the history.

A publish that went through writes its record to ``prod-artifacts/publish.json`` (what
the dashboard, the store and the benchmark read: ``record["phases"]`` the seconds of each
step). Every publish, published, refused (``reason`` says why) or blocked by failing
tests, appends its record to ``warehouse/publishes.jsonl``; a refused or blocked one also
writes it into the candidate's folder kept for inspection.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from dataops.core.dbt import DbtOutcome
from dataops.core.errors import DataOpsError

log = logging.getLogger(__name__)

RECORD = "publish.json"
PUBLISHED = "published"
REFUSED = "refused"
BLOCKED = "blocked"


def write_json(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def record_of(
    outcome: DbtOutcome,
    ingested: int,
    carried: int,
    *,
    status: str = PUBLISHED,
    reason: str | None = None,
    adopted: int = 0,
    daily: bool = False,
    allow_shrink: bool = False,
    changes: list[dict] | None = None,
    phases: dict[str, float] | None = None,
) -> dict:
    """The record of one publish: ``status`` published, refused (with ``reason``) or blocked."""
    return {
        "status": status,
        "reason": reason,
        "published_at" if status == PUBLISHED else "attempted_at": datetime.now(UTC).isoformat(
            timespec="seconds"
        ),
        "files_ingested": ingested,
        "log_rows_carried_over": carried,
        "files_adopted": adopted,
        "selection": "daily" if daily else "all",
        "allow_shrink": allow_shrink,
        "public_marts": changes or [],
        "models": dict(outcome.models),
        "tests": dict(outcome.tests),
        "phases": {name: round(seconds, 3) for name, seconds in (phases or {}).items()},
    }


def remember(history: Path, record: dict) -> None:
    """Append the record to the history of every publish (published, refused or blocked)."""
    history.parent.mkdir(parents=True, exist_ok=True)
    with history.open("a", encoding="utf-8") as history:
        history.write(json.dumps(record) + "\n")
        history.flush()
        os.fsync(history.fileno())


def refuse(history: Path, kept: Path, record: dict, error: DataOpsError) -> DataOpsError:
    """Record a refusal in the history and in ``kept`` (the candidate's artifacts) if it exists;
    returns the error to raise."""
    log.debug("publish %s: %s", record["status"], error.reason)
    if kept.parent.exists():
        write_json(kept / RECORD, record)
    remember(history, record)
    return error
