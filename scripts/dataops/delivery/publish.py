"""Write-audit-publish into prod, and rollback.

``publish`` never writes prod's file. It builds a candidate beside it and
moves the candidate onto prod in one ``os.replace`` (same folder tree, same
filesystem), only once every error-severity test has passed:

1. write: the candidate ``warehouse/candidate/prod.duckdb`` starts as a copy
   of prod (or empty on the first publish); the inbox is ingested into it, so
   the candidate's ingestion log gets the new files; ``dbt build`` on target
   ``candidate`` appends the new rows and rebuilds what depends on them;
2. audit: every test runs in that build; a failing one stops here, prod
   untouched, the candidate kept for inspection;
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.core.dbt import DbtOutcome, resource_failure, run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.files import CHUNK, WRITE_ERRORS, exclusive_lock, fsync_path, not_writable
from dataops.core.project import Project
from dataops.ingest.inputs import verify_inputs
from dataops.ingest.run import LOG_TABLE, open_log

log = logging.getLogger(__name__)

PROD = "prod"
CANDIDATE = "candidate"
ARTIFACTS = ("manifest.json", "run_results.json")
RECORD = "publish.json"


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
        )


@dataclass
class PublishOutcome:
    """What a publish did; ``published`` is false when the audit failed."""

    published: bool
    build: DbtOutcome
    carried_over: int = 0
    record: dict = field(default_factory=dict)


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


def _carry_over_log(old_candidate: Path, candidate: Path) -> int:
    """Copy the log rows of a candidate that was never published into the new one."""
    with open_log(candidate) as con:
        try:
            con.execute("attach ? as unpublished (read_only)", [str(old_candidate)])
        except duckdb.Error as error:
            log.warning(
                "the candidate left by an interrupted publish (%s) cannot be read (%s);"
                " files it ingested are in the landing folder: drop them into the inbox again",
                old_candidate,
                error,
            )
            return 0
        try:
            exists = con.execute(
                "select count(*) from duckdb_tables() where database_name = 'unpublished'"
                " and schema_name = 'landing' and table_name = 'ingested_files'"
            ).fetchall()[0][0]
            if not exists:
                return 0
            missing = f"""
                from unpublished.{LOG_TABLE} as old
                where old.file_id not in (select file_id from {LOG_TABLE})
            """
            count = con.execute(f"select count(*) {missing}").fetchall()[0][0]
            con.execute(f"insert into {LOG_TABLE} select old.* {missing}")
            return int(count)
        finally:
            con.execute("detach unpublished")


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
        log.info("candidate: no prod yet, built from scratch")
    carried = 0
    old = leftover / places.candidate.name
    if old.exists():
        carried = _carry_over_log(old, places.candidate)
        if carried:
            log.info("candidate: %d ingestion log rows of an unpublished run carried over", carried)
    if leftover.exists():
        shutil.rmtree(leftover)
    return carried


def _save_artifacts(source: Path, target: Path, record: dict) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        temporary = target / f".{name}.tmp"
        _copy(source / name, temporary)
        os.replace(temporary, target / name)
    temporary = target / f".{RECORD}.tmp"
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target / RECORD)


def _copy_artifacts(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (*ARTIFACTS, RECORD):
        if (source / name).exists():
            temporary = target / f".{name}.tmp"
            _copy(source / name, temporary)
            os.replace(temporary, target / name)


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


def build_candidate(project: Project, places: Places, full_refresh: bool = False) -> DbtOutcome:
    """``dbt build`` on the candidate (every model rebuilt on a full refresh), artifacts beside."""
    command = ["build", "--full-refresh"] if full_refresh else ["build"]
    return run_dbt(project, command, CANDIDATE, artifacts_dir=places.candidate_artifacts)


def record_of(outcome: DbtOutcome, ingested: int, carried: int) -> dict:
    return {
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files_ingested": ingested,
        "log_rows_carried_over": carried,
        "models": dict(outcome.models),
        "tests": dict(outcome.tests),
    }


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
            raise DataOpsError(f"no prod at {places.prod}", "run dataops publish first")
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
    project: Project, ingest_into: Callable[[str], int], full_refresh: bool = False
) -> PublishOutcome:
    """Write-audit-publish; ``ingest_into(target)`` ingests the inbox, returns files landed.

    ``full_refresh`` rebuilds every incremental model of the candidate from the
    landed files (every one of them verified first), as a change of a model's
    columns needs; the audit and the swap are the same.
    """
    places = Places.of(project)
    try:
        return _publish(project, places, ingest_into, full_refresh)
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
    project: Project, places: Places, ingest_into: Callable[[str], int], full_refresh: bool
) -> PublishOutcome:
    again = "run dataops publish again (prod is unchanged)"
    with publish_lock(places):
        carried = prepare_candidate(places)
        ingested = ingest_into(CANDIDATE)
        verify_inputs(
            project, CANDIDATE, full_refresh, refused="dataops publish refused, prod unchanged"
        )
        log.info("candidate: dbt build%s and every test", " --full-refresh" if full_refresh else "")
        outcome = build_candidate(project, places, full_refresh)
        if not outcome.success:
            if error := resource_failure(project, outcome, places.candidate_artifacts, again):
                raise error
            return PublishOutcome(False, outcome, carried)
        record = record_of(outcome, ingested, carried)
        swap_into_prod(places, record)
        # A candidate folder left behind always means a publish that did not go through.
        shutil.rmtree(places.candidate.parent)
        log.info("published: %s", places.prod)
        return PublishOutcome(True, outcome, carried, record)
