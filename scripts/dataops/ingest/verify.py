"""Check the persistent landing zone against the ingestion log: every landed file intact.

A landed file is kept at ``landing/<source>/<sha256>.<ext>``, read-only, and
logged as ``landed`` in ``landing.ingested_files`` with its SHA-256 and size.
Read-only does not stop root or a careless ``chmod``: a file changed after
landing would be read by the next build under its old ``_file_sha256``.
This module re-hashes the landed files and names each one that is

- changed: on disk, but its SHA-256 is not the logged one;
- missing: logged as landed, not on disk;
- unlogged: under ``landing/`` but named by no landed row of the log of any
  target (``_rejected/``, ``_ingestion/`` and the hidden temporary files an
  interrupted copy leaves are not landed files).

Every target shares the landing folder of ``DATA_DIR``: a file another target's
log names (``dataops.ingest.verify_owners``) is that target's, counted as information
("2 files of other targets (dev: 2)"), never moved or checked here; its own
``dataops verify --target`` checks it. When another target's log cannot be read
from its file (a writer holds it) nor fully from its Parquet copy, a file no log
read names may be that target's: it is listed in a warning, with the command to
run again, and does not fail the verification. Verifying a target never fails
because another target is busy; a stray file is named by the next verification
run while no writer holds the other logs.

The log is the record: nothing here writes it or any landed file. The log is
read from the target's DuckDB file, opened read-only; for a Spark target that
file holds only the log, so no Spark is needed.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.core.files import sha256_of
from dataops.core.project import Project
from dataops.core.zones import has_relation
from dataops.ingest.run import LANDED, LOG_TABLE
from dataops.ingest.verify_owners import sort_strays

log = logging.getLogger(__name__)

CHANGED = "changed"
MISSING = "missing"
UNLOGGED = "unlogged"
KINDS = (CHANGED, MISSING, UNLOGGED)
EVERY_FILE = "every one its log names"

# Folders of the landing zone that hold no landed file.
NOT_LANDED_FOLDERS = ("_rejected", "_ingestion")

Progress = Callable[[int, int], None]
"""``progress(bytes_done, bytes_total)``: called before the first file and after each one."""


@dataclass(frozen=True)
class LandedFile:
    """One landed file as the ingestion log records it."""

    source: str
    sha256: str
    bytes: int
    landed_path: str
    original_name: str
    received_at: datetime


@dataclass(frozen=True)
class Problem:
    """A file of the landing zone that does not match the log."""

    kind: str
    path: Path
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass
class VerifyResult:
    """What a verification checked and what it found."""

    target: str
    warehouse: Path
    scope: str
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    # files under landing/ that another target's log names: how many per target
    others: Counter[str] = field(default_factory=Counter)
    # files no log read names, while a log could not be read whole: their target unknown
    unchecked: list[Path] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for problem in self.problems if problem.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        found = ", ".join(f"{self.count(kind)} {kind}" for kind in KINDS)
        if self.others:
            per_target = ", ".join(
                f"{name}: {count:,}" for name, count in sorted(self.others.items())
            )
            found += f"; {self.others.total():,} files of other targets ({per_target})"
        if self.unchecked:
            found += f"; {len(self.unchecked):,} files whose target could not be checked"
        rate = self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0
        return (
            f"verified {self.files:,} landed files of target {self.target} ({self.scope}):"
            f" {self.bytes:,} bytes in {self.seconds:.3f} s ({rate:,.0f} MB/s); {found}"
        )


_SUMMARY = re.compile(r"^verified [\d,]+ landed files .*: ([\d,]+) bytes in ([\d.]+) s ", re.M)


def hashing_in(output: str) -> tuple[int, float]:
    """The bytes re-hashed and the seconds it took, from the summary line verify printed."""
    match = _SUMMARY.search(output)
    if match is None:
        raise DataOpsError("no summary line of dataops verify in its output", "read the output")
    return int(match.group(1).replace(",", "")), float(match.group(2))


def _connect(
    warehouse: Path, attach: Sequence[Mapping[str, str]] = ()
) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only, with the databases its target attaches (read-only)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        if is_duckdb_lock(error):
            raise warehouse_locked(error, warehouse, then="try again") from error
        raise DataOpsError(
            f"cannot open the warehouse {warehouse}: {error}", "check the file and its folder"
        ) from error
    for database in attach:
        path = str(database["path"]).replace("'", "''")
        try:
            con.execute(f"attach '{path}' as \"{database['alias']}\" (read_only)")
        except duckdb.Error as error:
            con.close()
            raise DataOpsError(
                f"cannot attach {database['path']}, which the target of {warehouse} attaches"
                f" as {database['alias']}: {error}",
                "create it first (for a sandbox: dataops publish, then dataops sandbox create)",
            ) from error
    return con


def logged_files(
    warehouse: Path,
    not_loaded_into: Mapping[str, str] | None = None,
    attach: Sequence[Mapping[str, str]] = (),
) -> list[LandedFile] | None:
    """The landed files of the log of ``warehouse``; None when it holds no log.

    ``not_loaded_into`` maps a source to its landing model (``schema.table``):
    a file whose SHA-256 is already in that model's ``_file_sha256`` is left
    out, as an incremental run of the model leaves it unread.
    """
    if not warehouse.is_file():
        return None
    con = _connect(warehouse, attach)
    try:
        if not has_relation(con, LOG_TABLE):
            return None
        # The distinct SHA-256 of each model first: a scan of one column (dictionary
        # encoded), then an anti-join of the log against a few thousand keys.
        loaded = [
            f"select distinct '{source}' as source, _file_sha256 as sha256 from {relation}"
            for source, relation in (not_loaded_into or {}).items()
            if has_relation(con, relation)
        ]
        unloaded = (
            " and not exists (select 1 from loaded where loaded.source = files.source"
            " and loaded.sha256 = files.sha256)"
        )
        rows = con.execute(
            (f"with loaded as ({' union all '.join(loaded)}) " if loaded else "")
            + "select source, sha256, bytes, landed_path, original_name, received_at"
            f" from {LOG_TABLE} as files where status = ?{unloaded if loaded else ''}"
            " order by received_at, landed_path",
            [LANDED],
        ).fetchall()
    finally:
        con.close()
    files: dict[str, LandedFile] = {}
    for row in rows:
        files.setdefault(row[3], LandedFile(*row))
    return list(files.values())


def check_files(
    project: Project, files: Sequence[LandedFile], progress: Progress | None = None
) -> tuple[list[Problem], int, float]:
    """Re-hash ``files``: the changed and missing ones, the bytes read, the seconds taken."""
    total = sum(item.bytes for item in files)
    done = 0
    read = 0
    problems = []
    started = time.perf_counter()
    if progress:
        progress(0, total)
    for item in files:
        path = project.data_dir / item.landed_path
        what = (
            f"{item.source} file received as {item.original_name}"
            f" at {item.received_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        if not path.is_file():
            problems.append(Problem(MISSING, path, f"{what}: logged as landed, not on disk"))
        else:
            size = path.stat().st_size
            try:
                sha = sha256_of(path)
            except OSError as error:
                sha = f"unreadable ({error.strerror})"
            read += size
            if sha != item.sha256:
                problems.append(
                    Problem(
                        CHANGED,
                        path,
                        f"{what}: its SHA-256 is now {sha}, the log has {item.sha256}"
                        f" (now {size:,} bytes, logged {item.bytes:,})",
                    )
                )
        done += item.bytes
        if progress:
            progress(min(done, total), total)
    return problems, read, time.perf_counter() - started


def unlogged_files(project: Project, files: Sequence[LandedFile]) -> list[Path]:
    """Files under ``landing/`` that no landed row of ``files`` (a log) names."""
    if not project.landing_dir.is_dir():
        return []
    named = {project.data_dir / item.landed_path for item in files}
    found: list[Path] = []
    for entry in sorted(project.landing_dir.iterdir()):
        if entry.name in NOT_LANDED_FOLDERS:
            continue
        found += sorted(entry.rglob("*")) if entry.is_dir() else [entry]
    return [
        path
        for path in found
        if path.is_file() and path not in named and not _interrupted_copy(path)
    ]


def _interrupted_copy(path: Path) -> bool:
    """The hidden temporary file a killed copy leaves (``files.copy_atomic``); ingest clears it."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def _log_of(project: Project, target: str | None) -> tuple[str, Path, list[dict[str, str]]]:
    """A target's name, the DuckDB file of its log, and what its profile attaches."""
    name, output = project.output(target)
    attach = []
    for database in output.get("attach") or []:
        path = Path(database["path"])
        attach.append(
            {**database, "path": str(path if path.is_absolute() else project.root / path)}
        )
    return name, project.warehouse_path(name), attach


def verify(
    project: Project, target: str | None = None, progress: Progress | None = None
) -> VerifyResult:
    """Every landed file of a target's log re-hashed, and the unlogged files named."""
    name, warehouse, attach = _log_of(project, target)
    files = logged_files(warehouse, attach=attach)
    if files is None:
        raise DataOpsError(
            f"no ingestion log for target {name} in {warehouse}",
            f"run dataops ingest --target {name} first (or pass the target that ingested)",
        )
    result = VerifyResult(name, warehouse, EVERY_FILE)
    result.problems, result.bytes, result.seconds = check_files(project, files, progress)
    result.files = len(files)
    strays = sort_strays(project, warehouse, name, unlogged_files(project, files))
    result.others, result.unchecked = strays.others, strays.unknown
    result.problems += [
        Problem(UNLOGGED, path, "no landed row of the ingestion log of any target names it")
        for path in strays.unlogged
    ]
    return result


def inputs(
    project: Project,
    target: str,
    not_loaded_into: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    required: bool = False,
) -> VerifyResult:
    """The landed files a build is about to read, re-hashed; unlogged files are not read.

    ``not_loaded_into`` as in ``logged_files``: without it, every landed file
    of the log (a full refresh, or an engine whose tables dataops does not
    read). A DuckDB target with no log yet reads nothing; with ``required``
    (the build reads a copy of the log elsewhere) a missing log is an error.
    """
    name, warehouse, attach = _log_of(project, target)
    scope = "those not loaded yet" if not_loaded_into else EVERY_FILE
    result = VerifyResult(name, warehouse, scope)
    files = logged_files(warehouse, not_loaded_into, attach)
    if files is None:
        if required:
            raise DataOpsError(
                f"no ingestion log for target {name} in {warehouse}: the landed files the"
                " build would read cannot be verified",
                f"run dataops ingest --target {name}, which writes the log and its copy",
            )
        files = []
    result.problems, result.bytes, result.seconds = check_files(project, files, progress)
    result.files = len(files)
    return result


def require_intact(result: VerifyResult, refused: str | None = None) -> None:
    """Raise a DataOpsError naming every problem.

    ``refused`` says which command stops (``"dataops build on target ci refused"``).
    """
    if result.ok:
        return
    broken = result.count(CHANGED) + result.count(MISSING)
    found = ", ".join(f"{result.count(kind)} {kind}" for kind in KINDS if result.count(kind))
    if refused:
        head = (
            f"{refused}, dbt not run: {found} among the {result.files:,} landed files"
            f" it would read (ingestion log of {result.target}: {result.warehouse})"
        )
    else:
        head = (
            f"the landing does not match the ingestion log of {result.target}"
            f" ({result.warehouse}): {found} ({result.files:,} landed files checked)"
        )
    listed = "\n  ".join(str(problem) for problem in result.problems)
    hints = []
    if broken:
        hints.append(
            "drop the original file (from its source or a backup) into the inbox again and"
            " run dataops ingest: a file of the same bytes restores the landed copy (or put"
            " the bytes back at the path shown, read-only, until sha256sum prints the SHA-256"
            " the log has); never edit the ingestion log to match the files"
        )
    if result.count(UNLOGGED):
        hints.append(
            "move each unlogged file out of the landing folder: no target's ingestion log"
            " names it, so no build reads it (a file a source sent goes into the inbox,"
            " where dataops ingest checks and logs it)"
        )
    hints.append(f"then run dataops verify --target {result.target}")
    raise DataOpsError(f"{head}:\n  {listed}", "; ".join(hints))
