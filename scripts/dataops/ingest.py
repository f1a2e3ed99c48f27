"""Take files from the inbox into the persistent landing zone, with the ingestion log.

Every file in ``inbox/<source>/`` is checked against the columns its source
declares (``models/landing/<source>/_<source>__sources.yml``), then:

- landed: copied to ``landing/<source>/<sha256>.<ext>`` (temporary file, fsync,
  rename), made read-only, logged, and removed from the inbox;
- duplicate: the same bytes already landed for the source: nothing new is
  stored, the event is logged and the inbox file removed;
- rejected: moved (never deleted) to ``landing/_rejected/<source>/`` with a
  ``.reason.txt`` beside it, and logged with the reason.

The log is the table ``landing.ingested_files`` of the target's DuckDB file
(for a Spark target, a DuckDB file holding only the log), copied after every
run to ``landing/_ingestion/<target>/ingested_files.parquet`` for Spark; its
``landed_path`` is relative to the data folder. A file is logged and
removed from the inbox only once its landed copy is complete, so an
interrupted run is finished by the next one: a landing file that is complete
but not logged yet is recognised by its SHA-256 and logged.

A value is valid when DuckDB's reader casts it to the declared type, as the
landing models read it, with one stricter rule: an integer column takes no
value with a fraction (DuckDB would round ``517.5`` to ``518``).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.errors import DataOpsError
from dataops.files import CHUNK, copy_atomic, sha256_of, write_atomic
from dataops.project import Project
from dataops.sources import Feed, load_feeds

log = logging.getLogger(__name__)

LOG_TABLE = "landing.ingested_files"
LANDED = "landed"
DUPLICATE = "duplicate"
REJECTED = "rejected"

INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "int", "bigint", "hugeint"})
NUMERIC_TYPES = INTEGER_TYPES | frozenset({"float", "real", "double", "decimal", "numeric"})

_CREATE_LOG = f"""
create schema if not exists landing;
create table if not exists {LOG_TABLE} (
    file_id varchar not null,
    source varchar not null,
    original_name varchar not null,
    sha256 varchar not null,
    bytes bigint not null,
    rows bigint,
    received_at timestamp not null,
    status varchar not null,
    reason varchar,
    landed_path varchar
)
"""

_CSV_OPTIONS = (
    "header = true, auto_detect = false, strict_mode = true, "
    "delim = ',', quote = '\"', escape = '\"'"
)


@dataclass(frozen=True)
class FileOutcome:
    """What ingest did with one inbox file: one row of the ingestion log."""

    file_id: str
    source: str
    original_name: str
    sha256: str
    bytes: int
    rows: int | None
    received_at: datetime
    status: str
    reason: str | None
    landed_path: str


@dataclass
class SourceSummary:
    landed: int = 0
    duplicate: int = 0
    rejected: int = 0
    rows: int = 0


@dataclass
class IngestSummary:
    """The outcome of one ingest run: counts per source and every file's outcome."""

    target: str
    warehouse: Path
    data_dir: Path
    sources: dict[str, SourceSummary] = field(default_factory=dict)
    files: list[FileOutcome] = field(default_factory=list)

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

    @property
    def rejected(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.status == REJECTED]


@dataclass(frozen=True)
class FileCheck:
    """The result of checking a file against its feed: data rows, or what is wrong."""

    rows: int | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class _Landed:
    original_name: str
    received_at: datetime
    rows: int | None
    landed_path: str


# ---------------------------------------------------------------------------
# checking a file against its declaration


def _base_type(data_type: str) -> str:
    return data_type.lower().split("(", 1)[0].strip()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan_lines(path: Path) -> tuple[int, bool]:
    """Count the lines of a file and tell whether it ends with a newline."""
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    complete = last == b"\n"
    return (lines if complete else lines + 1), complete


def _duckdb_problem(error: duckdb.Error) -> str:
    """The gist of a DuckDB reader error: the line and what is wrong there."""
    text = str(error)
    line = re.search(r"(?:CSV Error on Line: |in line )(\d+)", text)
    where = f"line {line.group(1)}: " if line else ""
    if match := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        return f"{where}{match.group(2)} fields where {match.group(1)} columns are declared"
    if match := re.search(r'converting column "([^"]+)"\. (Could not convert [^\n]*)', text):
        detail = match.group(2).replace("'", "")
        return f'{where}column "{match.group(1)}": {detail}'
    if "unterminated quote" in text:
        return f"{where}a quoted value is never closed"
    if "not utf-8 encoded" in text:
        return f"{where}the file is not UTF-8 text"
    if match := re.search(r"in line \d+: ([^\n]*)", text):
        return f"{where}{match.group(1).strip()}"
    first = re.sub(r"^[A-Za-z ]+Error: ", "", text.split("\n", 1)[0])
    return f"{where}{first}"


def _header_problem(path: Path, feed: Feed) -> str | None:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "line 1 (the header) is not UTF-8 text"
    found = next(csv.reader([text.rstrip("\r\n")]), [])
    expected = feed.column_names
    if found == expected:
        return None
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    details = []
    if missing:
        details.append(f"missing {', '.join(missing)}")
    if unexpected:
        details.append(f"unexpected {', '.join(unexpected)}")
    if not details:
        details.append("same columns in another order")
    return (
        f"line 1: the header does not match the declared columns ({'; '.join(details)}); "
        f"expected {','.join(expected)}; found {','.join(found)}"
    )


def _fractional(value: object) -> bool:
    """True for a number (or numeric text) with a fraction, which an integer column refuses."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value)
    except ValueError:
        return False
    return number == number and abs(number) != float("inf") and not number.is_integer()


def _fraction_filters(feed: Feed, value_sql: Callable[[str], str]) -> list[tuple[str, str]]:
    """One SQL condition per integer column: true where the value has a fraction."""
    filters = []
    for column in feed.columns:
        if _base_type(column.data_type) in INTEGER_TYPES:
            number = f"try_cast({value_sql(column.name)} as double)"
            filters.append((column.name, f"{number} <> trunc({number})"))
    return filters


def _fraction_problem(path: Path, feed: Feed, column: str, example: str) -> str:
    index = feed.column_names.index(column)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            if index < len(row) and _fractional(row[index]):
                return (
                    f'line {reader.line_num}: column "{column}" is declared integer '
                    f'but has "{row[index]}"'
                )
    return f'column "{column}" is declared integer but has "{example}"'


def _check_csv(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> FileCheck:
    if problem := _header_problem(path, feed):
        return FileCheck(None, problem)
    try:
        rows = con.execute(
            f"select count(*), count(columns(*)) from read_csv(?, columns = ?, {_CSV_OPTIONS})",
            [str(path), feed.duckdb_columns()],
        ).fetchall()[0][0]
    except duckdb.Error as error:
        return FileCheck(None, _duckdb_problem(error))
    filters = _fraction_filters(feed, _quoted)
    if filters:
        text_columns = {name: "VARCHAR" for name in feed.column_names}
        selects = ", ".join(
            f"any_value({_quoted(name)}) filter (where {condition})" for name, condition in filters
        )
        found = con.execute(
            f"select {selects} from read_csv(?, columns = ?, {_CSV_OPTIONS})",
            [str(path), text_columns],
        ).fetchall()[0]
        for (name, _condition), example in zip(filters, found, strict=True):
            if example is not None:
                return FileCheck(None, _fraction_problem(path, feed, name, example))
    return FileCheck(rows)


def _json_type_problem(feed: Feed, record: dict) -> str | None:
    for column in feed.columns:
        value = record[column.name]
        kind = _base_type(column.data_type)
        if value is None or kind not in NUMERIC_TYPES:
            continue
        if isinstance(value, bool | dict | list):
            return f'key "{column.name}" is {json.dumps(value)}, not a number'
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return f'key "{column.name}" is {json.dumps(value)}, not a number'
        if kind in INTEGER_TYPES and _fractional(value):
            return f'key "{column.name}" is declared integer but has {json.dumps(value)}'
    return None


def _first_bad_json_line(path: Path, feed: Feed) -> str | None:
    """Read the file line by line and describe the first line that breaks the declaration."""
    declared = set(feed.column_names)

    def no_repeats(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _value in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"repeats key {', '.join(repeated)}")
        return dict(pairs)

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                return f"line {number} is empty"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return f"line {number} is not UTF-8 text"
            try:
                record = json.loads(text, object_pairs_hook=no_repeats)
            except json.JSONDecodeError as error:
                what = error.msg.removesuffix(" at")
                return f"line {number} is not valid JSON: {what} at column {error.colno}"
            except ValueError as error:
                return f"line {number} {error}"
            if not isinstance(record, dict):
                return f"line {number} is a JSON {type(record).__name__}, not an object"
            missing = [name for name in feed.column_names if name not in record]
            unexpected = [key for key in record if key not in declared]
            if missing or unexpected:
                details = []
                if missing:
                    details.append(f"missing keys {', '.join(missing)}")
                if unexpected:
                    details.append(f"unexpected keys {', '.join(unexpected)}")
                return f"line {number}: {'; '.join(details)}"
            if problem := _json_type_problem(feed, record):
                return f"line {number}: {problem}"
    return None


def _json_value_sql(name: str) -> str:
    """SQL for the text of key ``name`` of the row's JSON object."""
    return f"(json ->> {_sql_string(f'$.{_quoted(name)}')})"


def _check_jsonl(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed, lines: int) -> FileCheck:
    keys = "[" + ", ".join(_sql_string(name) for name in sorted(feed.column_names)) + "]"
    fractions = _fraction_filters(feed, _json_value_sql)
    fraction_count = " or ".join(condition for _name, condition in fractions) or "false"
    failure = None
    try:
        objects, not_objects, bad_keys, bad_fractions = con.execute(
            f"""
            select
                count(*),
                count(*) filter (where json_type(json) <> 'OBJECT'),
                count(*) filter (
                    where json_type(json) = 'OBJECT'
                    and list_sort(json_keys(json)) <> {keys}
                ),
                count(*) filter (where json_type(json) = 'OBJECT' and ({fraction_count}))
            from read_ndjson_objects(?)
            """,
            [str(path)],
        ).fetchall()[0]
        rows = con.execute(
            "select count(*), count(columns(*)) from read_json(?, "
            "format = 'newline_delimited', records = true, columns = ?)",
            [str(path), feed.duckdb_columns()],
        ).fetchall()[0][0]
    except duckdb.Error as error:
        failure = _duckdb_problem(error)
    else:
        if not (not_objects or bad_keys or bad_fractions or objects != lines or rows != lines):
            return FileCheck(rows)
    problem = _first_bad_json_line(path, feed)
    return FileCheck(None, problem or failure or "the lines do not match the declared keys")


def check_file(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> FileCheck:
    """Check one file against its feed's declaration; ``con`` is a scratch DuckDB connection."""
    if path.suffix != f".{feed.extension}":
        return FileCheck(
            None,
            f"unexpected extension {path.suffix or '(none)'!r}: "
            f"the {feed.source} feed sends .{feed.extension} files",
        )
    if path.stat().st_size == 0:
        return FileCheck(None, "empty file (0 bytes)")
    lines, complete = _scan_lines(path)
    if not complete:
        return FileCheck(
            None,
            f"line {lines} does not end with a newline: the file looks truncated "
            "(every line, the last one too, must end with a newline)",
        )
    if feed.format == "csv":
        return _check_csv(con, path, feed)
    return _check_jsonl(con, path, feed, lines)


# ---------------------------------------------------------------------------
# the ingestion log


@contextmanager
def open_log(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing the ingestion log, creating the table if absent."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(warehouse))
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DataOpsError(
                f"the warehouse {warehouse} is locked by another process",
                "wait for the other dbt or dataops command to finish, then run ingest again",
            ) from error
        raise DataOpsError(
            f"cannot open the warehouse {warehouse}: {error}", "check the file and its folder"
        ) from error
    try:
        con.execute(_CREATE_LOG)
        yield con
    finally:
        con.close()


def _landed_files(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], _Landed]:
    """The earliest landed file of each (source, sha256), from the log."""
    landed: dict[tuple[str, str], _Landed] = {}
    rows = con.execute(
        f"select source, sha256, original_name, received_at, rows, landed_path "
        f"from {LOG_TABLE} where status = ? order by received_at, file_id",
        [LANDED],
    ).fetchall()
    for source, sha, name, received_at, count, landed_path in rows:
        landed.setdefault((source, sha), _Landed(name, received_at, count, landed_path))
    return landed


def _record(con: duckdb.DuckDBPyConnection, outcome: FileOutcome) -> None:
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


# ---------------------------------------------------------------------------
# moving files


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
    con.execute(
        f"copy (select * replace (cast(received_at as timestamptz) as received_at) "
        f"from {LOG_TABLE} order by received_at, file_id) "
        f"to {_sql_string(str(temp))} (format parquet)"
    )
    temp.replace(path)


def inbox_files(project: Project, feeds: dict[str, Feed]) -> list[tuple[Feed, Path]]:
    """The files waiting in the inbox, by source then name; hidden files are not ready yet."""
    pending = []
    for source in sorted(feeds):
        folder = project.inbox_dir / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir(), key=lambda item: item.name):
            if path.name.startswith("."):
                continue
            if not path.is_file():
                log.warning("%s is not a file: left in the inbox", path)
                continue
            pending.append((feeds[source], path))
    if project.inbox_dir.is_dir():
        for extra in sorted(project.inbox_dir.iterdir()):
            if extra.is_dir() and extra.name not in feeds and not extra.name.startswith("."):
                log.warning("inbox folder %s belongs to no declared source: left as it is", extra)
    return pending


def _remove_stale_temp_files(folder: Path) -> None:
    """Remove temporary files an interrupted copy left; the warehouse lock makes this safe."""
    if not folder.is_dir():
        return
    for temp in folder.glob(".*.tmp"):
        log.info("removing %s, left by an interrupted ingest", temp)
        temp.unlink(missing_ok=True)


def _relative(project: Project, path: Path) -> str:
    return path.relative_to(project.data_dir).as_posix()


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _land(path: Path, target: Path, sha: str) -> None:
    """Put the bytes of ``path`` at ``target``, complete and read-only, or raise."""
    if target.exists() and sha256_of(target) == sha:
        log.info("%s is already complete (interrupted run): logging it", target)
    else:
        copy_atomic(path, target)
        if sha256_of(target) != sha:
            target.unlink(missing_ok=True)
            raise DataOpsError(
                f"{path} changed while ingest was reading it",
                "let whatever writes the file finish (write elsewhere, then move it into "
                "the inbox), then run ingest again",
            )
    target.chmod(0o444)


def _reject(project: Project, feed: Feed, path: Path, reason: str, at: datetime) -> Path:
    """Move a file aside to ``_rejected/<source>/`` with its reason beside it."""
    folder = project.rejected_dir / feed.source
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}__{path.name}"
    attempt = 0
    while target.exists():
        attempt += 1
        target = folder / f"{stamp}-{attempt}__{path.name}"
    write_atomic(
        target.with_name(target.name + ".reason.txt"),
        (
            f"file: {path.name}\n"
            f"source: {feed.source}\n"
            f"received at: {at.isoformat()} UTC\n"
            f"reason: {reason}\n"
            f"what to do: fix the file and drop it into {project.inbox_dir / feed.source} "
            "again, then run `dataops ingest`\n"
        ).encode(),
    )
    shutil.move(path, target)
    return target


def _ingest_file(
    project: Project,
    con: duckdb.DuckDBPyConnection,
    scratch: duckdb.DuckDBPyConnection,
    landed: dict[tuple[str, str], _Landed],
    feed: Feed,
    path: Path,
    clock: Callable[[Path], datetime] | None = None,
) -> FileOutcome:
    sha = sha256_of(path)
    size = path.stat().st_size
    received_at = clock(path) if clock else _utc_now()

    def outcome(status: str, rows: int | None, reason: str | None, where: str) -> FileOutcome:
        return FileOutcome(
            file_id=str(uuid.uuid4()),
            source=feed.source,
            original_name=path.name,
            sha256=sha,
            bytes=size,
            rows=rows,
            received_at=received_at,
            status=status,
            reason=reason,
            landed_path=where,
        )

    earlier = landed.get((feed.source, sha))
    if earlier is not None:
        result = outcome(
            DUPLICATE,
            earlier.rows,
            f"same bytes as {earlier.original_name}, landed at {earlier.received_at} UTC",
            earlier.landed_path,
        )
        _record(con, result)
        path.unlink()
        return result

    check = check_file(scratch, path, feed)
    if not check.ok:
        moved = _reject(project, feed, path, check.problem or "", received_at)
        result = outcome(REJECTED, None, check.problem, _relative(project, moved))
        _record(con, result)
        log.debug("rejected %s: %s", path, check.problem)
        return result

    target = project.landing_dir / feed.source / f"{sha}.{feed.extension}"
    _land(path, target, sha)
    result = outcome(LANDED, check.rows, None, _relative(project, target))
    _record(con, result)
    landed[(feed.source, sha)] = _Landed(path.name, received_at, check.rows, result.landed_path)
    path.unlink()
    log.debug("landed %s as %s", path, target)
    return result


def ingest(
    project: Project,
    target: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[Path], datetime] | None = None,
) -> IngestSummary:
    """Take every file waiting in the inbox into the landing zone and log it.

    ``progress(done, total)`` is called once before the first file and after each one.
    ``clock(path)`` gives the time (UTC) a file is logged as received; by default, now.
    A replay of past days passes the time the source would have sent each file, so that
    the arrival lag of each day (what ``freshness_anomaly`` checks) is the replayed one.
    """
    feeds = load_feeds(project.models_dir)
    name = target or project.default_target()
    warehouse = project.warehouse_path(name)
    summary = IngestSummary(name, warehouse, project.data_dir)
    summary.sources = {source: SourceSummary() for source in sorted(feeds)}

    with open_log(warehouse) as con, duckdb.connect() as scratch:
        for source in sorted(feeds):
            _remove_stale_temp_files(project.landing_dir / source)
        pending = inbox_files(project, feeds)
        if progress:
            progress(0, len(pending))
        landed = _landed_files(con)
        for done, (feed, path) in enumerate(pending, start=1):
            summary.add(_ingest_file(project, con, scratch, landed, feed, path, clock))
            if progress:
                progress(done, len(pending))
        export_log(con, project.log_export_path(name))
    return summary
