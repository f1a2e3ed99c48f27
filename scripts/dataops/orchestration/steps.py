"""What the assets and the publish job do, with the project's own functions.

Ingest is ``dataops.ingest.run.ingest``; right after it, ``dbt source freshness``
records how fresh each source is (its ``loaded_at`` is the ingestion log), so
that a source that stopped sending is seen even on a day nothing arrives. Each
writing step ends with the alerts of its target (``dataops.observability.alerts``), whatever
its outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import Failure, OpExecutionContext

from dataops.core.dbt import run_dbt
from dataops.core.errors import DataOpsError
from dataops.ingest.run import IngestSummary, ingest
from dataops.observability import activity, activity_hooks, alerts
from dataops.orchestration.failures import is_transient, stop
from dataops.orchestration.settings import Settings


def ingest_inbox(
    context: OpExecutionContext, settings: Settings, target: str, *, freshness: bool = True
) -> IngestSummary:
    """Take the inbox into ``target``'s landing and log, then record the sources' freshness.

    ``freshness`` false: the caller measures it itself (a publish's candidate build does,
    right after its parse).
    """
    summary = ingest(settings.project, target)
    for outcome in summary.rejected:
        context.log.warning(f"rejected {outcome.source}/{outcome.original_name}: {outcome.reason}")
    for left in summary.waiting:
        context.log.info(f"waiting {left.entry.shown}: {left.reason}")
    for left in summary.failed:
        context.log.error(f"failed {left.entry.shown}: {left.reason} (left in the inbox)")
    if freshness:
        measured = run_dbt(
            settings.project, ["source", "freshness"], target, settings.artifacts_dir(target)
        )
        context.log.info(f"dbt source freshness on {target}: {dict(measured.models)}")
    return summary


def ingest_metadata(summary: IngestSummary, source: str | None) -> dict[str, object]:
    """Counts of one source's files in this run (None: of every source: the ingestion log)."""
    counts = [summary.sources[source]] if source else list(summary.sources.values())
    return {
        "target": summary.target,
        "files landed": sum(item.landed for item in counts),
        "files duplicate": sum(item.duplicate for item in counts),
        "files rejected": sum(item.rejected for item in counts),
        "files waiting": sum(item.waiting for item in counts),
        "files failed": sum(item.failed for item in counts),
        "rows landed": sum(item.rows for item in counts),
    }


def send_alerts(
    context: OpExecutionContext, settings: Settings, target: str, manifest: Path | None = None
) -> alerts.AlertOutcome | None:
    """The alerts of ``target`` after a step; a failure to send is logged, never raised.

    Recorded in the activity log as ``dataops alert`` is: the problems opened and resolved.
    """
    options = {"dagster_run_id": context.run_id}
    entry = activity.entry_of(settings.project, "alert", options, lambda _p, _o: target)
    try:
        with activity.recording(entry, activity_hooks.before_alert, activity_hooks.after_alert):
            outcome = alerts.check_history(settings.project, target, manifest=manifest)
    except Exception as error:  # the step's own outcome matters more than its alerts
        context.log.error(f"alerts of {target} not checked: {error}")
        return None
    for message in outcome.messages:
        delivered = "sent" if message in outcome.delivered else "NOT delivered"
        context.log.info(f"alert {message.event} ({delivered}): {message.title}")
    return outcome


def failed_nodes(run_results: Path) -> list[str]:
    """The unique ids of the nodes that failed or errored in a dbt invocation."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    return [item["unique_id"] for item in results if item.get("status") in ("fail", "error")]


def alerted(outcome: alerts.AlertOutcome | None, keys: Iterable[str]) -> bool:
    """Whether every problem of ``keys`` is open in the alerts (so it was sent)."""
    wanted = set(keys)
    return bool(wanted) and outcome is not None and wanted <= outcome.open_keys


def raise_for(error: Exception) -> None:
    """Re-raise a step's error: a transient one as it is (retried), others as a Failure.

    The run-failure alert says what failed (the history does not record it).
    """
    if is_transient(str(error)):
        raise error
    if isinstance(error, DataOpsError):
        description = f"{error.reason} ({error.hint})" if error.hint else error.reason
    else:
        description = f"{type(error).__name__}: {error}"
    raise stop(description, alerted=False) from error


@contextmanager
def retried_if_transient() -> Iterator[None]:
    """Only a transient error is tried again; any other fails the step at once."""
    try:
        yield
    except Failure:
        raise
    except Exception as error:
        raise_for(error)


def alert_key(unique_id: str) -> str:
    """The alert key of a failed dbt node (``dataops.observability.alert_problems``)."""
    kind = "test" if unique_id.startswith(("test.", "unit_test.")) else "node"
    return f"{kind}:{unique_id}"
