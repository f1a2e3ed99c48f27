"""Take files from the inbox into the persistent landing zone, with the ingestion log.

Every entry of ``inbox/<source>/`` ends in one of these outcomes:

- landed: a regular file that passed the checks of its source's declaration
  (``dataops.ingest.file_checks``) is copied to ``landing/<source>/<sha256>.<ext>``
  (temporary file, fsync, rename), made read-only, logged, and removed from the
  inbox;
- duplicate: the same bytes already landed for the source: nothing new is
  stored, the event is logged and the inbox file removed;
- rejected: a file that fails a check, whose name is not UTF-8, or an entry that
  is not a regular file (a symbolic link is never followed) is moved (never
  deleted) to ``landing/_rejected/<source>/`` with a ``.reason.txt`` beside it,
  and logged with the reason;
- waiting: a file still being written (``dataops.ingest.inbox``) or that changed while
  ingest read it stays in the inbox for the next run;
- failed: anything else that goes wrong with one file is reported for it, the
  file stays in the inbox, and the run goes on with the others.

One ingest at a time runs on a data folder (a lock the kernel frees if the
process dies). A run stopped at any point leaves no half-written file: a file
is logged and removed from the inbox only once its landed copy is complete and
the file is unchanged since it was read; the next run finishes a claimed file
from what the log says, and logs a landed copy that is complete but unlogged.
An error of the disk (full, read-only) stops the run with one line naming the
file; the next run, once space is freed, carries on.

The checks of a file are ``dataops.ingest.file_checks``, the log
``dataops.ingest.ingestion_log``, the file operations of landing and rejecting
``dataops.ingest.landing``; this module runs them in order.
"""

from __future__ import annotations

import errno
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.files import WRITE_ERRORS, exclusive_lock, not_writable, sha256_of
from dataops.core.project import Project
from dataops.data.sources import Feed, load_feeds
from dataops.ingest import inbox as inbox_module
from dataops.ingest import landing
from dataops.ingest.file_checks import check_file, excerpt
from dataops.ingest.inbox import Entry, Waiting
from dataops.ingest.ingestion_log import (
    DUPLICATE,
    LANDED,
    LOG_TABLE,
    REJECTED,
    FileOutcome,
    LandedFile,
    export_log,
    landed_files,
    logged,
    open_log,
    record,
)

__all__ = ["LOG_TABLE", "IngestSummary", "check_file", "ingest", "open_log"]

log = logging.getLogger(__name__)

# Errors of the disk rather than of one file: the run stops, since every later file would
# meet them too.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


@dataclass
class SourceSummary:
    landed: int = 0
    duplicate: int = 0
    rejected: int = 0
    rows: int = 0
    waiting: int = 0
    failed: int = 0


@dataclass
class IngestSummary:
    """The outcome of one ingest run: counts per source and every entry's outcome."""

    target: str
    warehouse: Path
    data_dir: Path
    sources: dict[str, SourceSummary] = field(default_factory=dict)
    files: list[FileOutcome] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    failed: list[Waiting] = field(default_factory=list)
    # the inbox folders this run created because there was no inbox yet
    created: list[Path] = field(default_factory=list)

    def add(self, outcome: FileOutcome) -> None:
        counts = self.sources.setdefault(outcome.source, SourceSummary())
        if outcome.status == LANDED:
            counts.landed += 1
            counts.rows += outcome.rows or 0
        elif outcome.status == DUPLICATE:
            counts.duplicate += 1
        else:
            counts.rejected += 1
        self.files.append(outcome)

    def wait(self, left: Waiting) -> None:
        self.sources.setdefault(left.entry.source, SourceSummary()).waiting += 1
        self.waiting.append(left)

    def fail(self, left: Waiting) -> None:
        self.sources.setdefault(left.entry.source, SourceSummary()).failed += 1
        self.failed.append(left)

    @property
    def rejected(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.status == REJECTED]


def _relative(project: Project, path: Path) -> str:
    return path.relative_to(project.data_dir).as_posix()


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class _Run:
    """What one ingest run works with."""

    project: Project
    con: duckdb.DuckDBPyConnection
    scratch: duckdb.DuckDBPyConnection
    feeds: dict[str, Feed]
    landed: dict[tuple[str, str], LandedFile]
    clock: Callable[[Path], datetime] | None
    # files whose landed copy was complete already (another target's, or an interrupted run's)
    present: int = 0

    def outcome(
        self,
        entry: Entry,
        file_id: str,
        received_at: datetime,
        status: str,
        digest: tuple[str | None, int | None],
        rows: int | None,
        reason: str | None,
        where: str,
    ) -> FileOutcome:
        sha, size = digest
        return FileOutcome(
            file_id, entry.source, entry.name, sha, size, rows, received_at, status, reason, where
        )

    def reject(
        self,
        entry: Entry,
        file_id: str,
        received_at: datetime,
        digest: tuple[str | None, int | None],
        reason: str,
    ) -> FileOutcome:
        target = landing.rejected_target(self.project, entry, received_at)
        landing.write_reason(self.project, entry, target, reason, received_at)
        result = self.outcome(
            entry,
            file_id,
            received_at,
            REJECTED,
            digest,
            None,
            reason,
            _relative(self.project, target),
        )
        record(self.con, result)
        landing.move_aside(entry, target)
        log.debug("rejected %s: %s", entry.shown, reason)
        return result

    def take(self, entry: Entry) -> FileOutcome:
        """Claim one entry, check it, land, log or reject it, and remove it from the inbox."""
        file_id = entry.claim_id or str(uuid.uuid4())
        received_at = self.clock(entry.path) if self.clock else _utc_now()
        entry = inbox_module.claim(entry, file_id)
        recorded = False
        created: Path | None = None
        try:
            if entry.kind != inbox_module.FILE:
                recorded = True
                return self.reject(
                    entry, file_id, received_at, (None, None), landing.not_a_file(entry)
                )
            before = os.lstat(entry.path)
            if inbox_module.changed_since(entry.path, entry.stat):
                raise landing.ChangedWhileRead
            digest = (sha256_of(entry.path), before.st_size)
            sha = digest[0]
            feed = self.feeds[entry.source]
            earlier = self.landed.get((entry.source, sha))
            check = (
                None
                if entry.name_problem or earlier
                else check_file(self.scratch, entry.path, feed)
            )
            problem = entry.name_problem or (check.problem if check else None)
            if problem:
                if inbox_module.changed_since(entry.path, before):
                    raise landing.ChangedWhileRead
                recorded = True
                return self.reject(entry, file_id, received_at, digest, problem)
            if earlier is not None:
                reason = (
                    f"same bytes as {earlier.original_name}, landed at {earlier.received_at} UTC"
                )
                if restored := landing.restore(
                    entry.path, self.project.data_dir / earlier.landed_path, sha
                ):
                    reason += f"; its landed copy was {restored} and is restored from this file"
                result = self.outcome(
                    entry,
                    file_id,
                    received_at,
                    DUPLICATE,
                    digest,
                    earlier.rows,
                    reason,
                    earlier.landed_path,
                )
            else:
                target = self.project.landing_dir / entry.source / f"{sha}.{feed.extension}"
                if landing.land(entry.path, target, sha):
                    created = target
                else:
                    self.present += 1
                rows = check.rows if check else None
                result = self.outcome(
                    entry,
                    file_id,
                    received_at,
                    LANDED,
                    digest,
                    rows,
                    None,
                    _relative(self.project, target),
                )
            if inbox_module.changed_since(entry.path, before):
                raise landing.ChangedWhileRead
            record(self.con, result)
            recorded = True
            if result.status == LANDED:
                self.landed[(entry.source, sha)] = LandedFile(
                    entry.name, received_at, result.rows, result.landed_path
                )
            inbox_module.release(entry)
            return result
        except BaseException:
            if not recorded:
                if created is not None:
                    created.unlink(missing_ok=True)
                inbox_module.unclaim(entry)
            raise


def _finish_claims(run: _Run, entries: list[Entry]) -> list[Entry]:
    """Finish the claims an interrupted run logged; return the entries still to take."""
    pending = []
    for entry in entries:
        row = logged(run.con, entry.claim_id) if entry.claim_id else None
        if row is None:
            pending.append(entry)
            continue
        if row.status == REJECTED and not os.path.lexists(run.project.data_dir / row.landed_path):
            landing.move_aside(entry, run.project.data_dir / row.landed_path)
        else:
            inbox_module.release(entry)
        log.info("%s: finished what an interrupted ingest logged (%s)", entry.shown, row.status)
    return pending


def _disk_error(entry: Entry, error: OSError) -> DataOpsError:
    where = f" ({error.filename})" if error.filename else ""
    return DataOpsError(
        f"ingest stopped at {entry.shown}: {error.strerror or error}{where}",
        "nothing was half-written and the file is still in the inbox: free space on the disk "
        "(or make it writable), then run ingest again",
    )


def _log_error(warehouse: Path, error: duckdb.Error) -> DataOpsError:
    cause = str(error).split("\n", 1)[0]
    return DataOpsError(
        f"cannot write the ingestion log in {warehouse}: {cause}",
        "the file being taken is still in the inbox: free space on the disk (or make it "
        "writable), then run ingest again",
    )


def _create_inbox(project: Project, feeds: dict[str, Feed]) -> list[Path]:
    if project.inbox_dir.exists():
        return []
    created = []
    for source in sorted(feeds):
        folder = project.inbox_dir / source
        folder.mkdir(parents=True, exist_ok=True)
        created.append(folder)
    return created


def ingest(
    project: Project,
    target: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[Path], datetime] | None = None,
    settle_seconds: float | None = None,
) -> IngestSummary:
    """Take every file waiting in the inbox into the landing zone and log it.

    ``progress(done, total)`` is called once before the first file and after each one.
    ``clock(path)`` gives the time (UTC) a file is logged as received; by default, now.
    A replay of past days passes the time the source would have sent each file, so that
    the arrival lag of each day (what ``freshness_anomaly`` checks) is the replayed one.
    ``settle_seconds``: how long a file must stay unchanged before it is taken
    (default: ``DATAOPS_INBOX_SETTLE_SECONDS``, else 2).
    """
    feeds = load_feeds(project.models_dir)
    name = target or project.default_target()
    warehouse = project.warehouse_path(name)
    settle = inbox_module.settle_seconds(settle_seconds)
    summary = IngestSummary(name, warehouse, project.data_dir)
    summary.sources = {source: SourceSummary() for source in sorted(feeds)}

    try:
        with exclusive_lock(
            project.data_dir / ".ingest.lock",
            f"another dataops ingest is running on the data folder {project.data_dir}",
            "wait for it to finish, then run ingest again",
        ):
            summary.created = _create_inbox(project, feeds)
            with open_log(warehouse) as con, duckdb.connect() as scratch:
                run = _Run(project, con, scratch, feeds, landed_files(con), clock)
                for source in sorted(feeds):
                    landing.remove_stale_temp_files(project.landing_dir / source)
                entries = _finish_claims(run, inbox_module.list_entries(project.inbox_dir, feeds))
                ready, waiting = inbox_module.ready_files(entries, settle)
                for left in waiting:
                    summary.wait(left)
                if progress:
                    progress(0, len(ready))
                for done, entry in enumerate(ready, start=1):
                    try:
                        summary.add(run.take(entry))
                    except landing.ChangedWhileRead:
                        summary.wait(
                            Waiting(entry, "it changed while ingest read it: left for the next run")
                        )
                    except OSError as error:
                        if error.errno in DISK_ERRORS:
                            raise _disk_error(entry, error) from error
                        summary.fail(Waiting(entry, excerpt(f"{error.strerror or error}", 200)))
                    except duckdb.Error as error:
                        raise _log_error(warehouse, error) from error
                    except Exception as error:  # one file's failure never stops the others
                        log.debug("ingest of %s failed", entry.shown, exc_info=True)
                        summary.fail(
                            Waiting(entry, excerpt(f"{type(error).__name__}: {error}", 200))
                        )
                    if progress:
                        progress(done, len(ready))
                if run.present:  # landed for another target or by an interrupted run
                    log.info("%d files landed already: logged for %s", run.present, name)
                try:
                    export_log(con, project.log_export_path(name))
                except (OSError, duckdb.Error) as error:
                    raise DataOpsError(
                        f"cannot write the copy of the log {project.log_export_path(name)}: "
                        f"{str(error).splitlines()[0]}",
                        "the files of this run are landed and logged; free space, then run ingest "
                        "again to rewrite the copy",
                    ) from error
    except OSError as error:
        # the data folder itself (the lock, the inbox's folders, a claim): not one file's
        if error.errno not in WRITE_ERRORS:
            raise
        raise not_writable(
            error, "the data folder", project.data_dir, "DATAOPS_DATA_DIR", "run ingest again"
        ) from error
    return summary
