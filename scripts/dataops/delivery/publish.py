"""Write-audit-publish into prod, and rollback.

``publish`` never writes prod's file. It builds a candidate beside it and
moves the candidate onto prod in one ``os.replace`` (same folder tree, same
filesystem), only once every error-severity test has passed:

1. write: the candidate ``warehouse/candidate/prod.duckdb`` starts as a copy
   of prod (or empty on the first publish); the files other targets landed that
   prod's log lacks (``publish_inputs``) and the inbox are ingested into it, so
   the candidate's ingestion log gets the new files; ``dbt build`` on target
   ``candidate`` builds what the new files reach, or everything on demand
   (``publish_build``);
2. audit: the tests of that build run; a failing one stops here, prod
   untouched, the candidate kept for inspection. Then the change itself
   (``publish_audit``): a public mart that would lose more rows or days than
   the bounds of ``dbt_project.yml`` refuses the publish, unless the removal is
   deliberate (``allow_shrink``, kept in the record). A first publish with no
   landed file at all is refused before anything is built;
3. publish: prod is hard-linked to ``warehouse/previous/prod.duckdb`` (kept for
   rollback), then the candidate replaces prod; the dbt artifacts of the build
   (``manifest.json``, ``run_results.json``) go to ``warehouse/prod-artifacts/``:
   the state that sandboxes and slim CI defer to.

Readers open prod read-only. One that opened it before the swap keeps the old
file (its inode lives until it closes it); one that opens it after sees the
new one; none sees a half-built state. A publish killed at any point leaves
prod as it was: only the final rename changes it.

The files ingested by a publish that did not go through (failed tests, killed)
are only in that candidate's ingestion log, and the inbox no longer holds
them: the next publish carries those log rows over into its candidate, so the
landing models load them then. Nothing is lost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataops.core.dbt import DbtOutcome, resource_failure
from dataops.core.errors import DataOpsError
from dataops.core.files import CHUNK, WRITE_ERRORS, exclusive_lock, fsync_path, not_writable
from dataops.core.project import Project
from dataops.delivery import publish_audit, publish_inputs, publish_record
from dataops.delivery.publish_build import SOURCES, build_candidate, keep_parse_state
from dataops.delivery.publish_build import restore_parse_state as _restore_parse_state
from dataops.ingest.inputs import verify_inputs

log = logging.getLogger(__name__)

PROD = "prod"
CANDIDATE = "candidate"
ARTIFACTS = ("manifest.json", "run_results.json")
RECORD = publish_record.RECORD
REFUSED, BLOCKED = publish_record.REFUSED, publish_record.BLOCKED
# every publish, published, refused or blocked: one JSON record a line
HISTORY = "publishes.jsonl"


@dataclass(frozen=True)
class Places:
    """Where prod, the candidate, the previous prod and their artifacts live."""

    prod: Path
    candidate: Path
    previous: Path
    prod_artifacts: Path
    previous_artifacts: Path
    candidate_artifacts: Path
    lock: Path
    parse_state: Path
    history: Path

    @classmethod
    def of(cls, project: Project) -> Places:
        prod = project.warehouse_path(PROD)
        candidate = project.warehouse_path(CANDIDATE)
        previous_dir = prod.parent / "previous"
        return cls(
            prod=prod,
            candidate=candidate,
            previous=previous_dir / prod.name,
            prod_artifacts=prod.parent / "prod-artifacts",
            previous_artifacts=previous_dir / "artifacts",
            candidate_artifacts=candidate.parent / "artifacts",
            lock=prod.parent / ".publish.lock",
            parse_state=prod.parent / "candidate.parse" / "partial_parse.msgpack",
            history=prod.parent / HISTORY,
        )


@dataclass
class PublishOutcome:
    """What a publish did; ``published`` is false when the tests failed.

    ``phases``: seconds of each step (prepare, ingest, parse, build, audit, swap).
    """

    published: bool
    build: DbtOutcome
    carried_over: int = 0
    record: dict = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    adopted: publish_inputs.Adopted = field(default_factory=publish_inputs.Adopted.none)
    daily: bool = False


def _copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes the file ``source`` is now, atomically (a hard link where possible)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        _copy(source, temporary)
    os.replace(temporary, target)


@contextmanager
def publish_lock(places: Places) -> Iterator[None]:
    """One publish or rollback at a time; the kernel frees the lock if the process dies."""
    with exclusive_lock(
        places.lock,
        "another publish or rollback is running",
        "wait for it to finish, then run the command again",
    ):
        yield


def prepare_candidate(places: Places) -> int:
    """A fresh candidate: prod's file (or nothing yet), plus any unpublished log rows."""
    folder = places.candidate.parent
    leftover = folder.with_name(folder.name + ".unpublished")
    if leftover.exists():
        shutil.rmtree(leftover)
    if folder.exists():
        folder.rename(leftover)
    folder.mkdir(parents=True)
    if places.prod.exists():
        log.info("candidate: copy of %s", places.prod)
        _copy(places.prod, places.candidate)
    else:
        log.info("candidate: no prod yet, starts empty")
    carried = 0
    old = leftover / places.candidate.name
    if old.exists():
        carried = publish_inputs.carry_over_log(old, places.candidate)
        if carried:
            log.info("candidate: %d ingestion log rows of an unpublished run carried over", carried)
    if leftover.exists():
        shutil.rmtree(leftover)
    if _restore_parse_state(places.parse_state, places.candidate_artifacts / "target"):
        log.info("candidate: dbt's parse state of the last publish restored")
    return carried


def _save_artifacts(source: Path, target: Path, record: dict) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (*ARTIFACTS, SOURCES):
        if name == SOURCES and not (source / name).exists():
            (target / name).unlink(missing_ok=True)  # no freshness measured: build all next time
            continue
        temporary = target / f".{name}.tmp"
        _copy(source / name, temporary)
        os.replace(temporary, target / name)
    publish_record.write_json(target / RECORD, record)


def _copy_artifacts(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (*ARTIFACTS, SOURCES, RECORD):
        if (source / name).exists():
            temporary = target / f".{name}.tmp"
            _copy(source / name, temporary)
            os.replace(temporary, target / name)
        else:
            (target / name).unlink(missing_ok=True)


def swap_into_prod(places: Places, record: dict) -> None:
    """Keep prod as the previous version, move the candidate onto prod, save the artifacts."""
    if places.prod.exists():
        _link_or_copy(places.prod, places.previous)
        if places.prod_artifacts.exists():
            _copy_artifacts(places.prod_artifacts, places.previous_artifacts)
    fsync_path(places.candidate)
    os.replace(places.candidate, places.prod)  # the publish: one atomic rename
    fsync_path(places.prod.parent)
    _save_artifacts(places.candidate_artifacts / "target", places.prod_artifacts, record)


def rollback(project: Project) -> dict:
    """Swap prod and the previous prod (twice rolls forward again), with their artifacts."""
    places = Places.of(project)
    with publish_lock(places):
        if not places.previous.exists():
            raise DataOpsError(
                f"no previous prod to roll back to ({places.previous})",
                "rollback needs a second publish: the first one keeps nothing before it",
            )
        if not places.prod.exists():
            raise DataOpsError(f"no prod at {places.prod}", publish_inputs.advice(project))
        holding = places.previous.with_name(".rolled-back.duckdb")
        _link_or_copy(places.prod, holding)
        os.replace(places.previous, places.prod)  # readers now see the previous version
        os.replace(holding, places.previous)
        fsync_path(places.prod.parent)
        if places.previous_artifacts.exists():
            holding_artifacts = places.previous_artifacts.with_name(".rolled-back-artifacts")
            if holding_artifacts.exists():
                shutil.rmtree(holding_artifacts)
            _copy_artifacts(places.prod_artifacts, holding_artifacts)
            _copy_artifacts(places.previous_artifacts, places.prod_artifacts)
            _copy_artifacts(holding_artifacts, places.previous_artifacts)
            shutil.rmtree(holding_artifacts)
        record_path = places.prod_artifacts / RECORD
        return json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}


def publish(
    project: Project,
    ingest_into: Callable[[str], int],
    full_refresh: bool = False,
    *,
    full_audit: bool = False,
    allow_shrink: bool = False,
    before_swap: Callable[[Path], None] | None = None,
) -> PublishOutcome:
    """Write-audit-publish; ``ingest_into(target)`` ingests the inbox, returns files landed.

    By default the candidate builds the day's work (what the new files reach);
    ``full_audit`` builds and tests everything. ``full_refresh`` rebuilds every
    incremental model of the candidate from the landed files (every one of them
    verified first), as a change of a model's columns needs. ``allow_shrink``
    lets a public mart lose rows or days beyond the bounds (recorded).
    ``before_swap(candidate)`` runs once the audit passed, the last write into the
    candidate (the run's resources record): prod's file is never written after the swap.
    Raises DataOpsError when the publish is refused; prod is then untouched.
    """
    places = Places.of(project)
    try:
        return _publish(
            project, places, ingest_into, full_refresh, full_audit, allow_shrink, before_swap
        )
    except OSError as error:
        if error.errno not in WRITE_ERRORS:
            raise
        raise not_writable(
            error,
            "the warehouse folder",
            project.warehouse_dir,
            "DATAOPS_WAREHOUSE_DIR",
            "run dataops publish again",
        ) from error


def _publish(
    project: Project,
    places: Places,
    ingest_into: Callable[[str], int],
    full_refresh: bool,
    full_audit: bool,
    allow_shrink: bool,
    before_swap: Callable[[Path], None] | None,
) -> PublishOutcome:
    again = "run dataops publish again (prod is unchanged)"
    phases: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        phases[name] = phases.get(name, 0.0) + time.monotonic() - clock
        clock = time.monotonic()

    with publish_lock(places):
        carried = prepare_candidate(places)
        lap("prepare")
        adopted = publish_inputs.adopt_landed(project, places.candidate)
        first = not places.prod.exists()
        # nothing anywhere: refused before the ingest prints an empty summary
        empty = first and not (adopted.files or carried or publish_inputs.inbox_files(project))
        ingested = 0 if empty else ingest_into(CANDIDATE)
        if empty or (first and not publish_inputs.landed_count(places.candidate)):
            error = publish_inputs.nothing_to_publish(project, places.prod)
            shutil.rmtree(places.candidate.parent)
            lap("ingest")
            record = publish_record.record_of(
                DbtOutcome("", False),
                0,
                carried,
                status=REFUSED,
                reason=error.reason,
                phases=phases,
            )
            raise publish_record.refuse(places.history, places.candidate_artifacts, record, error)
        verify_inputs(
            project, CANDIDATE, full_refresh, refused="dataops publish refused, prod unchanged"
        )
        lap("ingest")
        # the day's work needs prod's freshness to compare with, and files whose arrival is
        # newer than prod's: files another target landed earlier are a catch-up, built in full
        daily = not (full_audit or first or adopted.files) and (ingested + carried) > 0
        built = build_candidate(
            project,
            CANDIDATE,
            places.candidate_artifacts,
            places.prod_artifacts,
            daily=daily,
            full_refresh=full_refresh,
            files_after=publish_inputs.last_received(places.prod) if daily else None,
        )
        phases.update(built.phases)
        clock = time.monotonic()
        outcome = built.outcome
        facts: dict[str, Any] = {
            "adopted": adopted.files,
            "daily": built.daily,
            "allow_shrink": allow_shrink,
            "phases": phases,
        }
        if not outcome.success:
            if error := resource_failure(project, outcome, places.candidate_artifacts, again):
                raise error
            record = publish_record.record_of(outcome, ingested, carried, status=BLOCKED, **facts)
            record["reason"] = f"{len(outcome.failed_nodes)} nodes failed"
            publish_record.refuse(
                places.history,
                places.candidate_artifacts,
                record,
                DataOpsError(record["reason"], again),
            )
            return PublishOutcome(False, outcome, carried, record, phases, adopted, built.daily)
        manifest = places.candidate_artifacts / "target" / "manifest.json"
        listed, shrunk = publish_audit.audit(project, places.prod, places.candidate, manifest)
        lap("audit")
        if shrunk and not allow_shrink:
            error = publish_audit.refusal(
                shrunk, publish_audit.Bounds.of(project), places.candidate
            )
            facts.update(status=REFUSED, reason=error.reason, changes=listed)
            record = publish_record.record_of(outcome, ingested, carried, **facts)
            raise publish_record.refuse(places.history, places.candidate_artifacts, record, error)
        if shrunk:
            log.warning("publish allowed to shrink: %s", "; ".join(c.line for c in shrunk))
        record = publish_record.record_of(outcome, ingested, carried, changes=listed, **facts)
        if before_swap is not None:
            before_swap(places.candidate)
        swap_into_prod(places, record)
        lap("swap")
        record["phases"] = {name: round(seconds, 3) for name, seconds in phases.items()}
        publish_record.write_json(places.prod_artifacts / RECORD, record)
        publish_record.remember(places.history, record)
        keep_parse_state(places.candidate_artifacts / "target", places.parse_state)
        # A candidate folder left behind always means a publish that did not go through.
        shutil.rmtree(places.candidate.parent)
        log.info("published: %s", places.prod)
        return PublishOutcome(True, outcome, carried, record, phases, adopted, built.daily)
