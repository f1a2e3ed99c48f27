"""Whose is a landed file: the ingestion logs of the other targets that share the landing.

In the default layout every target lands its files in the one landing folder of
``DATA_DIR`` and keeps its own ingestion log in its warehouse file
(``Project.warehouse_path``: a Spark target's is ``<warehouse>/<target>.duckdb``;
a sandbox keeps one in ``<warehouse>/sandboxes/<name>.duckdb`` only if something
was ingested into it). A file under ``landing/`` that the log of the target being
verified does not name, but another target's log does, is that target's.

Another target's log is only ever read, and never holds up its writer: the DuckDB
file is opened read-only (no write lock), for one query, and only while some file
is still without an owner. While a writer holds the file (DuckDB then refuses any
reader), the Parquet copy of the log that its ingest rewrites after every run
(``Project.log_export_path``) is read instead; a copy names the files of every
finished run, not those of a run under way, so the owner of a file it does not name
is unknown, as it is when there is no copy: such a file is not called unlogged
(``sort_strays``), and a warning names it and the command to run again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.core.project import Project
from dataops.core.zones import has_relation
from dataops.ingest.run import LANDED, LOG_TABLE

log = logging.getLogger(__name__)

SANDBOXES = "sandboxes"


@dataclass(frozen=True)
class OtherLog:
    """The ingestion log of another target: who, its DuckDB file, its Parquet copy."""

    owner: str
    path: Path
    copy: Path | None


@dataclass
class Owners:
    """The targets whose logs name the files asked about, and what could not be read."""

    by_path: dict[Path, str] = field(default_factory=dict)
    # one line per log that was not read from its DuckDB file (locked, unreadable)
    notes: list[str] = field(default_factory=list)
    # False when a log was read from its copy or not at all: an unowned file may be its
    complete: bool = True


def other_logs(project: Project, own: Path) -> list[OtherLog]:
    """The logs of every target of profiles.yml and every sandbox, but the one at ``own``."""
    sandboxes = project.warehouse_dir / SANDBOXES
    seen = {own.resolve()}
    logs = []
    for name in project.profile()["outputs"]:
        try:
            path = project.warehouse_path(name)
            copy = project.log_export_path(name)
        except DataOpsError as error:  # the sandbox target without DATAOPS_SANDBOX
            log.debug("target %s: no ingestion log to read (%s)", name, error.reason)
            continue
        if path.parent != sandboxes:  # a sandbox's file is found below, under its own name
            logs.append(OtherLog(name, path, copy))
    # the sandbox target's copy is one for every sandbox: a sandbox is read from its file only
    logs += [
        OtherLog(f"sandbox {path.stem}", path, None) for path in sorted(sandboxes.glob("*.duckdb"))
    ]
    unique = []
    for other in logs:
        if other.path.resolve() not in seen:
            seen.add(other.path.resolve())
            unique.append(other)
    return unique


def _landed_in_file(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        if not has_relation(con, LOG_TABLE):
            return set()
        rows = con.execute(
            f"select distinct landed_path from {LOG_TABLE} where status = ?", [LANDED]
        ).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


def _landed_in_copy(copy: Path) -> set[str]:
    with duckdb.connect() as con:
        rows = con.execute(
            "select distinct landed_path from read_parquet(?) where status = ?",
            [str(copy), LANDED],
        ).fetchall()
    return {row[0] for row in rows}


def _read(other: OtherLog, owners: Owners) -> set[str]:
    """The landed paths ``other`` names; a note in ``owners`` when its file cannot be read."""
    try:
        return _landed_in_file(other.path)
    except duckdb.Error as error:
        if is_duckdb_lock(error):
            locked = warehouse_locked(error, other.path).reason
            why = f"the ingestion log of {other.owner} is being written: {locked}"
        else:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "no message"
            why = f"the ingestion log of {other.owner} ({other.path}) cannot be read ({first})"
    owners.complete = False
    if other.copy is not None and other.copy.is_file():
        try:
            named = _landed_in_copy(other.copy)
        except duckdb.Error as error:
            owners.notes.append(f"{why}, nor its copy {other.copy} ({error})")
            return set()
        owners.notes.append(
            f"{why}: its copy {other.copy} was read instead, which names the files of its"
            " finished ingest runs only"
        )
        return named
    owners.notes.append(f"{why}, and it has no copy ({other.copy or 'a sandbox has none'})")
    return set()


def owners(project: Project, own: Path, files: set[Path]) -> Owners:
    """The targets whose logs name ``files`` (paths under ``landing/``), but the log at ``own``.

    The logs are read in the order of profiles.yml, then the sandboxes, until every
    file has an owner.
    """
    found = Owners()
    for other in other_logs(project, own):
        if len(found.by_path) == len(files):
            break
        if not other.path.is_file():
            continue
        for landed in _read(other, found):
            path = project.data_dir / landed
            if path in files:
                found.by_path.setdefault(path, other.owner)
    return found


@dataclass
class Strays:
    """The files under ``landing/`` a target's log does not name, sorted."""

    # how many files the log of each other target names
    others: Counter[str] = field(default_factory=Counter)
    # named by no log, every log read from its file
    unlogged: list[Path] = field(default_factory=list)
    # named by no log read, while a log could not be read whole: their target unknown
    unknown: list[Path] = field(default_factory=list)


def sort_strays(project: Project, own: Path, target: str, strays: list[Path]) -> Strays:
    """Each of ``strays`` another target's, unlogged, or of an unknown target (logged here)."""
    if not strays:
        return Strays()
    found = owners(project, own, set(strays))
    left = [path for path in strays if path not in found.by_path]
    for note in found.notes:
        log.log(logging.WARNING if left else logging.INFO, "%s", note)
    if found.complete:
        return Strays(Counter(found.by_path.values()), unlogged=left)
    if left:
        shown = ", ".join(str(path) for path in left[:5]) + (", ..." if len(left) > 5 else "")
        log.warning(
            "%d files under %s whose target could not be checked, not counted as unlogged"
            " (%s): run dataops verify --target %s again once the writer is done",
            len(left),
            project.landing_dir,
            shown,
            target,
        )
    return Strays(Counter(found.by_path.values()), unknown=left)
