"""Who did what: the activity log of every command that changes a warehouse or the models.

Each recorded command (build, publish, rollback, sandbox create and drop, train,
model rollback, alert) appends two lines to ``<warehouse>/activity/activity.jsonl``:
one when it starts, one when it ends, joined by their ``run_id``. A line says who
(``DATAOPS_ACTOR``, else the OS user), where (the host), what (the command, its
target, selection and options), from which code (the git commit and whether the
work tree had changes: ``unknown`` outside git), when, and the outcome: ``ok``,
``refused`` (a ``DataOpsError``: a blocked publish, a model not promoted),
``failed`` (any other exception) or ``interrupted``. A start without an end is a
command still running, or killed.

The log is one file beside the warehouses, not a table in one of them: publish and
rollback replace prod's file whole, so a table in it would lose the lines of the
other version; one file covers every target, sandboxes included. An append takes
an exclusive ``flock`` on the file, so that lines of commands running at once
never interleave; readers skip a line they cannot parse.
"""

from __future__ import annotations

import fcntl
import functools
import getpass
import json
import logging
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)

ACTOR_VARIABLE = "DATAOPS_ACTOR"
FOLDER = "activity"
LOG_FILE = "activity.jsonl"
UNKNOWN = "unknown"
OK, REFUSED, FAILED, INTERRUPTED, RUNNING = "ok", "refused", "failed", "interrupted", "running"
GIT_TIMEOUT_SECONDS = 10
# What a hook may raise without failing the command it records.
HOOK_ERRORS = (OSError, DataOpsError, ValueError, KeyError, TypeError, AttributeError)


def log_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / FOLDER / LOG_FILE


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def actor() -> str:
    """``DATAOPS_ACTOR`` (CI sets it), else the user this process runs as."""
    named = os.environ.get(ACTOR_VARIABLE, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return UNKNOWN


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(root: Path) -> dict[str, Any]:
    """The commit of the project's checkout, its time, and whether the work tree had changes."""
    head = _git(root, "log", "-1", "--format=%H %cI")
    if not head:
        return {"commit": UNKNOWN, "commit_at": None, "dirty": None}
    commit, _, committed_at = head.partition(" ")
    status = _git(root, "status", "--porcelain")
    return {
        "commit": commit,
        "commit_at": committed_at or None,
        "dirty": None if status is None else bool(status),
    }


def append(warehouse_dir: Path, line: Mapping[str, Any]) -> None:
    """Append one line to the log under an exclusive lock (waits for the other writers)."""
    path = log_path(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(line, default=str, sort_keys=True) + "\n").encode("utf-8")
    with path.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_lines(warehouse_dir: Path) -> Iterator[dict]:
    path = log_path(warehouse_dir)
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                line = json.loads(text)
            except json.JSONDecodeError:
                log.debug("activity log: an unreadable line skipped")
                continue
            if isinstance(line, dict) and "run_id" in line:
                yield line


def runs(warehouse_dir: Path) -> list[dict]:
    """One dict per command, its start and end merged, newest first."""
    merged: dict[str, dict] = {}
    for line in read_lines(warehouse_dir):
        run = merged.setdefault(line["run_id"], {"outcome": RUNNING})
        run.update(line)
    for run in merged.values():
        run.pop("event", None)
    return sorted(merged.values(), key=lambda run: run.get("started_at") or "", reverse=True)


@dataclass
class Entry:
    """One command being recorded; ``details`` is filled by the command's hooks."""

    project: Project
    command: str
    target: str | None
    selection: list[str]
    options: dict[str, Any]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = field(default_factory=now)
    who: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    # why the block did not go through, when it ends in an exception not a DataOpsError
    refusal: str | None = None

    def start_line(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "event": "start",
            "command": self.command,
            "target": self.target,
            "selection": self.selection,
            "options": self.options,
            "started_at": self.started_at,
            "pid": os.getpid(),
            **self.who,
        }

    def end_line(self, outcome: str, reason: str | None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "event": "end",
            "ended_at": now(),
            "outcome": outcome,
            "reason": reason,
            "details": {
                key: value for key, value in self.details.items() if not key.startswith("_")
            },
        }


def identity(project: Project) -> dict[str, Any]:
    return {"actor": actor(), "host": socket.gethostname(), **code_version(project.root)}


def _safe_append(warehouse_dir: Path, line: Mapping[str, Any], loud: bool = False) -> None:
    """Append, or say why not: once a command, at its end, and only when it went through
    (a command's own error is the one message it ends with)."""
    try:
        append(warehouse_dir, line)
    except OSError as error:
        (log.warning if loud else log.debug)(
            "activity not recorded in %s: %s", log_path(warehouse_dir), error
        )


Hook = Callable[[Entry], None]
After = Callable[[Entry, str], None]


def recorded(
    command: str,
    target: Callable[[Project, Mapping[str, Any]], str | None] | None = None,
    before: Hook | None = None,
    after: After | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Record a command's run in the activity log: a decorator of the command's function.

    ``target(project, options)`` names what the command acts on (default: its
    ``--target``, else the profile's default target); ``before`` and ``after``
    add details to the entry; ``after(entry, outcome)`` runs when the command ended
    ``ok`` or ``refused``. Recording never fails the command: an error of its own
    is logged as a warning.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **options: Any) -> Any:
            try:
                project = Project.discover()
            except DataOpsError:
                return function(*args, **options)
            entry = entry_of(project, command, options, target)
            with recording(entry, before, after):
                return function(*args, **options)

        return wrapper

    return decorate


@contextmanager
def recording(
    entry: Entry, before: Hook | None = None, after: After | None = None
) -> Iterator[Entry]:
    """Record the block as ``entry``'s run: its start line now, its end line with its outcome.

    A block that ends in an exception after setting ``entry.refusal`` (a blocked publish
    under Dagster, which raises Dagster's own failure) is recorded as refused, for that reason.
    """
    if before is not None:
        try:
            before(entry)
        except HOOK_ERRORS as error:
            log.warning("activity details of %s not recorded: %s", entry.command, error)
    _safe_append(entry.project.warehouse_dir, entry.start_line())
    try:
        yield entry
    except DataOpsError as error:
        _finish(entry, after, REFUSED, error.reason)
        raise
    except KeyboardInterrupt:
        _finish(entry, None, INTERRUPTED, None)
        raise
    except Exception as error:
        if entry.refusal is not None:
            _finish(entry, after, REFUSED, entry.refusal)
        else:
            _finish(entry, None, FAILED, f"{type(error).__name__}: {str(error).strip()[:500]}")
        raise
    _finish(entry, after, OK, None)


def _finish(entry: Entry, after: After | None, outcome: str, reason: str | None) -> None:
    if after is not None:
        try:
            after(entry, outcome)
        except HOOK_ERRORS as error:
            log.warning("activity details of %s not recorded: %s", entry.command, error)
    _safe_append(entry.project.warehouse_dir, entry.end_line(outcome, reason), outcome == OK)


def entry_of(
    project: Project,
    command: str,
    options: Mapping[str, Any],
    target: Callable[[Project, Mapping[str, Any]], str | None] | None,
) -> Entry:
    if target is not None:
        name = target(project, options)
    else:
        name = options.get("target") or _default_target(project)
    select = options.get("select") or ()
    shown = {
        key: value if isinstance(value, bool | int | float | str) else str(value)
        for key, value in options.items()
        if key not in ("target", "select") and value not in (None, False, ())
    }
    return Entry(project, command, name, list(select), shown, who=identity(project))


def _default_target(project: Project) -> str | None:
    try:
        return project.default_target()
    except (DataOpsError, KeyError, OSError):
        return None
