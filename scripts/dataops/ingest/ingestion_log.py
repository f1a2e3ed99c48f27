"""The ingestion log: table ``landing.ingested_files`` of a target's DuckDB file.

One row per entry ingest took out of the inbox: landed, duplicate (same bytes
as a file already landed) or rejected (moved aside with the reason). For a
Spark target the table lives in a DuckDB file of its own, and a Parquet copy
of it is rewritten after every run for Spark to read. ``landed_path`` is
relative to the data folder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.core.files import not_writable, remove_quietly, write_errno
from dataops.ingest.file_checks import sql_string

log = logging.getLogger(__name__)

LOG_TABLE = "landing.ingested_files"
LANDED = "landed"
DUPLICATE = "duplicate"
REJECTED = "rejected"

_CREATE_LOG = f"""
create schema if not exists landing;
create table if not exists {LOG_TABLE} (
    file_id varchar not null,
    source varchar not null,
    original_name varchar not null,
    sha256 varchar,
    bytes bigint,
    rows bigint,
    received_at timestamp not null,
    status varchar not null,
    reason varchar,
    landed_path varchar
);
"""
# An entry that is not a regular file (a symbolic link, a folder) is refused without being
# read: it has no hash or size. Logs created before that kept both columns not null.
_ALLOW_UNREAD_ENTRIES = f"""
alter table {LOG_TABLE} alter column sha256 drop not null;
alter table {LOG_TABLE} alter column bytes drop not null;
"""


@dataclass(frozen=True)
class FileOutcome:
    """What ingest did with one inbox entry: one row of the ingestion log."""

    file_id: str
    source: str
    original_name: str
    sha256: str | None
    bytes: int | None
    rows: int | None
    received_at: datetime
    status: str
    reason: str | None
    landed_path: str


@dataclass(frozen=True)
class LandedFile:
    """The first landing of some bytes, which later duplicates refer to."""

    original_name: str
    received_at: datetime
    rows: int | None
    landed_path: str


def _cannot_open(warehouse: Path, error: BaseException, created: bool) -> DataOpsError:
    cause = str(error).split("\n", 1)[0]
    if is_duckdb_lock(cause) and not created:
        return warehouse_locked(error, warehouse, then="run ingest again")
    unwritable = write_errno(cause) and not_writable(
        error, "the warehouse folder", warehouse.parent, "DATAOPS_WAREHOUSE_DIR", "run ingest again"
    )
    if created:
        return DataOpsError(
            f"cannot create the warehouse {warehouse}: {cause}",
            "nothing was left behind: "
            + (unwritable.hint if unwritable else "free space (or fix the folder's permissions)")
            + ("" if unwritable else ", then run ingest again"),
        )
    if unwritable:
        return DataOpsError(f"cannot open the warehouse {warehouse}: {cause}", unwritable.hint)
    return DataOpsError(
        f"cannot open the warehouse {warehouse}: {cause}",
        "if an earlier run stopped while creating it (a disk full) it holds nothing: move it "
        "aside and run ingest again, which lands every file still in the inbox; otherwise "
        "restore it from a backup",
    )


@contextmanager
def open_log(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing the ingestion log, creating the table if absent.

    A warehouse this call creates is removed again if creating it fails (a full
    disk), so that no broken file is left for the next run to trip on.
    """
    created = not warehouse.exists()
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(warehouse))
    except (duckdb.Error, OSError) as error:
        if created:
            remove_database(warehouse)
        raise _cannot_open(warehouse, error, created) from error
    try:
        try:
            con.execute(_CREATE_LOG)
            con.execute(_ALLOW_UNREAD_ENTRIES)
            if created:
                con.execute("checkpoint")
        except duckdb.Error as error:
            if created:
                con.close()
                remove_database(warehouse)
            raise _cannot_open(warehouse, error, created) from error
        yield con
    finally:
        con.close()


def remove_database(path: Path) -> None:
    """Remove a DuckDB file and its write-ahead log."""
    for file in (path, path.with_name(path.name + ".wal")):
        remove_quietly(file)


def landed_files(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], LandedFile]:
    """The earliest landed file of each (source, sha256), from the log."""
    landed: dict[tuple[str, str], LandedFile] = {}
    rows = con.execute(
        f"select source, sha256, original_name, received_at, rows, landed_path "
        f"from {LOG_TABLE} where status = ? order by received_at, file_id",
        [LANDED],
    ).fetchall()
    for source, sha, name, received_at, count, landed_path in rows:
        landed.setdefault((source, sha), LandedFile(name, received_at, count, landed_path))
    return landed


def logged(con: duckdb.DuckDBPyConnection, file_id: str) -> FileOutcome | None:
    """The log row of one ingestion event, if it was written."""
    rows = con.execute(
        f"select file_id, source, original_name, sha256, bytes, rows, received_at, status, "
        f"reason, landed_path from {LOG_TABLE} where file_id = ?",
        [file_id],
    ).fetchall()
    return FileOutcome(*rows[0]) if rows else None


def record(con: duckdb.DuckDBPyConnection, outcome: FileOutcome) -> None:
    """Append one outcome to the log (committed on return)."""
    con.execute(
        f"insert into {LOG_TABLE} "
        "(file_id, source, original_name, sha256, bytes, rows, received_at, status, reason, "
        "landed_path) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.file_id,
            outcome.source,
            outcome.original_name,
            outcome.sha256,
            outcome.bytes,
            outcome.rows,
            outcome.received_at,
            outcome.status,
            outcome.reason,
            outcome.landed_path,
        ],
    )


def export_log(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Write the whole log as Parquet to ``path`` (temporary file, then rename).

    The table stays the one record of what was ingested; the Parquet copy is
    rewritten after every run so that an engine without access to the DuckDB
    file (Spark) reads the same log. ``received_at`` is written as a UTC
    instant (Parquet ``isAdjustedToUTC``), which Spark reads as a timestamp.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.tmp"
    con.execute("set TimeZone = 'UTC'")
    try:
        con.execute(
            f"copy (select * replace (cast(received_at as timestamptz) as received_at) "
            f"from {LOG_TABLE} order by received_at, file_id) "
            f"to {sql_string(str(temp))} (format parquet)"
        )
        temp.replace(path)
    except BaseException:
        remove_quietly(temp)
        raise


@dataclass(frozen=True)
class LastLanded:
    """The newest file the log says landed: its source, name and arrival time (UTC)."""

    source: str
    original_name: str
    received_at: datetime


def last_landed(warehouse: Path) -> LastLanded | None:
    """The newest landed file of the log in ``warehouse`` (opened read-only); None if none."""
    if not warehouse.is_file():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(
            f"select source, original_name, received_at from {LOG_TABLE} where status = ?"
            " order by received_at desc, file_id desc limit 1",
            [LANDED],
        ).fetchone()
    except duckdb.CatalogException:
        return None  # no log yet: nothing was ever ingested into this warehouse
    finally:
        con.close()
    return LastLanded(*row) if row else None
