"""Alerts: each problem a team must act on is sent once when it opens, once when it is resolved.

The problems come from a target's observability history (``dataops.observability.alert_problems``),
from the pipeline's own steps (``dataops.observability.alert_pipeline``: files rejected, a publish
that did not go through) and, under Dagster, from runs that failed. The problems
already sent are kept in ``<warehouse>/alerts/<target>.json``: the same open
problem is not sent again on the next check; one that changed (a stale source now
past its error threshold, other nodes blocking the publish) is sent as changed; one
no longer found is sent as resolved. A message that could not be delivered is not
recorded, so the next check sends it again: nothing is lost.

Messages go through Apprise to the URLs of ``DATAOPS_ALERT_URLS``; without a URL
they go to the log only (``dataops.observability.alert_messages``).
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.core.project import Project
from dataops.delivery.publish import PROD, Places
from dataops.observability import alert_pipeline, alert_problems, report
from dataops.observability.alert_messages import RESOLVED, Message, alert_urls, compose, deliver
from dataops.observability.alert_problems import Problem

log = logging.getLogger(__name__)

STATE_VERSION = 1
# What a check of the history decides; the others (a run's failure) it leaves as they are.
HISTORY_KINDS = (
    frozenset(
        {"test_failed", "node_failed", "anomaly", "stale_source", "model_bound", "publish_failed"}
    )
    | alert_problems.BUDGET_KINDS
)
RUN_FAILED = "run_failed"
# The lines of a failed run's error kept in its message (the first says what, the next where).
RUN_ERROR_LINES = 12


@dataclass
class AlertOutcome:
    """What one check found and sent."""

    target: str
    state_path: Path
    # 0: no URL configured, the messages went to the log only
    channels: int
    messages: list[Message] = field(default_factory=list)
    delivered: list[Message] = field(default_factory=list)
    undelivered: list[Message] = field(default_factory=list)
    open_problems: int = 0
    # the keys of the problems open after the check (test:<id>, node:<id>, publish:prod...)
    open_keys: set[str] = field(default_factory=set)
    report: Path | None = None


def state_path(project: Project, target: str) -> Path:
    return project.warehouse_dir / "alerts" / f"{target}.json"


@contextmanager
def state_lock(path: Path) -> Iterator[None]:
    """Hold the lock of a target's alert state (waiting for a check under way)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_state(path: Path) -> dict:
    if not path.exists():
        return {"version": STATE_VERSION, "open": {}, "rejected_until": None}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataOpsError(
            f"cannot read the alert state {path}: {error}",
            "remove the file: the problems still open are then sent once more",
        ) from error
    state.setdefault("open", {})
    state.setdefault("rejected_until", None)
    return state


def save_state(path: Path, state: dict) -> None:
    state["version"] = STATE_VERSION
    state["updated_at"] = _now()
    write_atomic(path, (json.dumps(state, indent=2, sort_keys=True) + "\n").encode())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def changes(
    state: dict, current: Sequence[Problem], decides: Callable[[str, dict], bool]
) -> tuple[list[Problem], list[Problem], list[tuple[str, dict]]]:
    """The problems opened, changed, and resolved (key, as recorded) since the state was saved.

    ``decides(key, record)`` says whether this check can tell that a recorded
    problem is still open; the others are left as they are.
    """
    recorded = state["open"]
    opened = [problem for problem in current if problem.key not in recorded]
    changed = [
        problem
        for problem in current
        if problem.key in recorded
        and recorded[problem.key].get("fingerprint", "") != problem.fingerprint
    ]
    keys = {problem.key for problem in current}
    resolved = [
        (key, record)
        for key, record in sorted(recorded.items())
        if key not in keys and decides(key, record)
    ]
    return opened, changed, resolved


def _apply(state: dict, delivered: Sequence[Message], problems: dict[str, Problem]) -> None:
    """Record what was delivered: opened and changed problems kept open, resolved ones dropped."""
    now = _now()
    for message in delivered:
        for key in message.keys:
            if message.event == RESOLVED:
                state["open"].pop(key, None)
                continue
            problem = problems[key]
            if problem.once:
                continue
            state["open"][key] = {
                "kind": problem.kind,
                "subject": problem.subject,
                "title": problem.title,
                "severity": problem.severity,
                "group": problem.group,
                "fingerprint": problem.fingerprint,
                "opened_at": state["open"].get(key, {}).get("opened_at", now),
            }


@dataclass
class _Check:
    """One check's inputs: the problems found, and what it decides about the recorded ones."""

    current: list[Problem]
    decides: Callable[[str, dict], bool]
    context: list[tuple[str, str]]
    write_report: Callable[[], Path | None] | None = None
    after: Callable[[dict, list[Message]], None] | None = None


def _settle(
    project: Project,
    target: str,
    check: _Check,
    dry_run: bool,
    urls: Sequence[str] | None,
    state: dict | None = None,
) -> AlertOutcome:
    path = state_path(project, target)
    state = load_state(path) if state is None else state
    urls = alert_urls() if urls is None else list(urls)
    outcome = AlertOutcome(target, path, len(urls))
    opened, changed, resolved = changes(state, check.current, check.decides)
    context = check.context
    if (opened or changed or resolved) and check.write_report is not None and not dry_run:
        outcome.report = check.write_report()
        if outcome.report is not None:
            context = [*context, ("report", str(outcome.report))]
    outcome.messages = compose(target, context, opened, changed, resolved)
    if dry_run:
        outcome.open_keys = {problem.key for problem in check.current if not problem.once}
        outcome.open_problems = len(outcome.open_keys)
        return outcome
    outcome.delivered, outcome.undelivered = deliver(outcome.messages, urls)
    _apply(state, outcome.delivered, {problem.key: problem for problem in check.current})
    if check.after is not None:
        check.after(state, outcome.delivered)
    outcome.open_keys = set(state["open"])
    outcome.open_problems = len(outcome.open_keys)
    save_state(path, state)
    return outcome


def _report_writer(
    project: Project, target: str, warehouse: Path, output: Path | None, manifest: Path | None
) -> Callable[[], Path | None]:
    """Write the target's observability report, named by the messages; None if it fails."""

    def write() -> Path | None:
        path = output or project.root / "target" / f"report_{target}.html"
        lineage = manifest or (
            Places.of(project).prod_artifacts / "manifest.json"
            if target == PROD
            else project.root / "target" / "manifest.json"
        )
        try:
            return report.generate(warehouse, lineage, path).path
        except (DataOpsError, OSError) as error:
            log.warning("the report could not be written (%s): the alerts go without it", error)
            return None

    return write


def check_history(
    project: Project,
    target: str | None = None,
    *,
    report_path: Path | None = None,
    manifest: Path | None = None,
    dry_run: bool = False,
    urls: Sequence[str] | None = None,
) -> AlertOutcome:
    """Read a target's observability history and send what changed since the last check.

    When there is something to send, the target's observability report is written
    first (``report_path``, default ``target/report_<target>.html``; ``manifest``
    for its lineage page) and the messages name it. ``dry_run`` sends and records
    nothing. ``urls`` replaces DATAOPS_ALERT_URLS.
    """
    name, output = project.output(target)
    if output["type"] != "duckdb":
        raise DataOpsError(
            f"target {name} records no observability history (only DuckDB targets do)",
            "check a DuckDB target: dev, ci or prod",
        )
    warehouse = project.warehouse_path(name)
    if not warehouse.exists():
        raise DataOpsError(f"no warehouse at {warehouse}", f"build target {name} first")
    path = state_path(project, name)
    with state_lock(path):  # one check of a target at a time: the state stays whole
        state = load_state(path)
        since = state.get("rejected_until")
        con = alert_problems.connect(warehouse)
        try:
            current = alert_problems.history_problems(con, warehouse)
            rejected, newest = alert_pipeline.rejected_files(
                con, project, datetime.fromisoformat(since) if since else None
            )
        finally:
            con.close()
        decided = set(HISTORY_KINDS)
        if name == PROD:
            if alert_pipeline.publish_running(Places.of(project)):
                decided.discard("publish_failed")  # its candidate is being built: decided after it
            elif (problem := alert_pipeline.publish_problem(project)) is not None:
                current.append(problem)

        def advance(saved: dict, delivered: list[Message]) -> None:
            """Rejected files are sent once: remember the newest, once all of them went out."""
            sent = {key for message in delivered for key in message.keys}
            if newest is not None and all(problem.key in sent for problem in rejected):
                saved["rejected_until"] = newest.isoformat()

        check = _Check(
            [*current, *rejected],
            lambda _key, record: record.get("kind") in decided,
            [("target", f"{name} (warehouse {warehouse})")],
            _report_writer(project, name, warehouse, report_path, manifest),
            advance,
        )
        return _settle(project, name, check, dry_run, urls, state)


def check_run(
    project: Project,
    target: str,
    job: str,
    run_id: str,
    error: str | None,
    urls: Sequence[str] | None = None,
) -> AlertOutcome:
    """A run of ``job`` ended: a failure (``error``) opens a problem, the next success resolves it.

    The history says what failed in a build; this covers what it cannot record: a
    run that failed before or outside dbt (the disk, a lock held too long, a crash).
    """
    key = f"run:{job}"
    current = []
    if error is not None:
        lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
        facts = [("job", job), ("run", run_id), ("error", lines[0][:500] if lines else "unknown")]
        facts += [("", line[:500]) for line in lines[1:RUN_ERROR_LINES]]
        current.append(
            Problem(
                key, RUN_FAILED, f"job {job}", f"run of job {job} failed", "error", tuple(facts)
            )
        )
    check = _Check(current, lambda recorded, _record: recorded == key, [("target", target)])
    with state_lock(state_path(project, target)):
        return _settle(project, target, check, False, urls)
