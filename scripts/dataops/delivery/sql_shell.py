"""``dataops sql``: read a target's warehouse with SQL, read-only, without a ``duckdb`` binary.

The DuckDB command-line shell on PyPI (duckdb-cli) lags the library and cannot open the
files DuckDB 2.0 writes; harlequin (a terminal SQL IDE) does not install beside the
project's pins (it needs wcwidth<0.9). So the project reads its warehouses through the
``duckdb`` library it builds them with.

A warehouse is opened read-only, for one statement at a time, and closed after it: a
read-only connection still holds a lock that would refuse the next open of a running
build (dbt-duckdb opens and closes the file node by node), so the shell never keeps one
open while it waits for the next statement. A file a writer holds is refused with a
message naming it (``errors.warehouse_locked``); a missing file, with the command that
makes it.

``locate`` names the file of a target (``dev``, ``ci``, ``prod``), of a sandbox (prod
attached read-only as ``prod``, as its views expect) or a DuckDB file given by its path;
``run`` runs statements there and returns at most ``limit`` rows; ``tables`` lists what
is there; ``split_statements`` cuts a shell's input into statements ending with ``;``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.core.project import Project, check_sandbox_name
from dataops.delivery.publish import PROD, Places
from dataops.delivery.sandbox import attach_read_only, sandbox_path

log = logging.getLogger(__name__)

AGAIN = "run dataops sql again"


@dataclass(frozen=True)
class Warehouse:
    """A DuckDB file to read, and the prod file to attach first (a sandbox's views need it)."""

    label: str
    path: Path
    prod: Path | None = None


@dataclass(frozen=True)
class QueryResult:
    """A statement's columns and rows (at most the limit asked for; ``more`` if there were)."""

    columns: list[str]
    rows: list[tuple]
    more: bool


def _made_by(project: Project, name: str) -> str:
    if name == PROD:
        return "dataops publish makes it"
    if name == project.default_target():
        return f"dataops demo makes it (or dataops feed, ingest and build --target {name})"
    return f"dataops ingest --target {name} then dataops build --target {name} make it"


def locate(project: Project, target: str | None) -> Warehouse:
    """The warehouse ``target`` names: a dbt target, a sandbox's name, or a DuckDB file's path.

    Raises DataOpsError when the target is unknown, runs on another engine, or its file
    does not exist yet.
    """
    if target and ("/" in target or target.endswith(".duckdb")):
        path = Path(target).expanduser()
        if not path.is_file():
            raise DataOpsError(f"no DuckDB file at {path}", "check the path")
        return Warehouse(str(path), path, _prod_for(project, path))
    outputs = project.profile()["outputs"]
    name = target or project.default_target()
    if name in outputs:
        name, output = project.output(name)
        if output["type"] != "duckdb":
            raise DataOpsError(
                f"target {name} runs on {output['type']}, not DuckDB",
                "dataops sql reads the DuckDB targets (dev, ci, prod) and the sandboxes",
            )
        path = project.warehouse_path(name)
        if not path.is_file():
            raise DataOpsError(f"no warehouse for target {name} at {path}", _made_by(project, name))
        return Warehouse(name, path, _prod_for(project, path))
    check_sandbox_name(name)
    path = sandbox_path(project, name)
    if not path.is_file():
        raise DataOpsError(
            f"{name!r} is neither a target of profiles.yml ({', '.join(sorted(outputs))})"
            f" nor a sandbox ({path})",
            f"choose a target, or make the sandbox: dataops sandbox create {name}",
        )
    return Warehouse(f"sandbox {name}", path, _prod_for(project, path))


def _prod_for(project: Project, path: Path) -> Path | None:
    """Prod's file when ``path`` is a sandbox (its views read ``prod.<schema>.<relation>``)."""
    if path.parent.name != "sandboxes":
        return None
    prod = Places.of(project).prod
    return prod if prod.is_file() else None


@contextmanager
def connect(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only (a sandbox with prod attached), closed on leaving."""
    try:
        con = duckdb.connect(str(warehouse.path), read_only=True, config={"threads": 1})
    except duckdb.Error as error:
        if is_duckdb_lock(error):
            raise warehouse_locked(error, warehouse.path, then=AGAIN) from error
        raise DataOpsError(
            f"cannot open {warehouse.path}: {_first_line(error)}",
            "check that it is a DuckDB file this DuckDB version reads",
        ) from error
    try:
        if warehouse.prod is not None:
            try:
                attach_read_only(con, warehouse.prod, "prod")
            except duckdb.Error as error:
                if is_duckdb_lock(error):
                    raise warehouse_locked(error, warehouse.prod, then=AGAIN) from error
                raise
        yield con
    finally:
        con.close()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def run(warehouse: Warehouse, sql: str, limit: int | None = None) -> QueryResult:
    """Run ``sql`` (one or more statements; the last one's rows are returned) read-only.

    ``limit`` keeps at most that many rows (``more`` says whether there were others);
    None keeps them all. A statement DuckDB refuses (a typo, a write on the read-only
    file) raises DataOpsError with DuckDB's message.
    """
    with connect(warehouse) as con:
        try:
            cursor = con.execute(sql)
            columns = [column[0] for column in cursor.description or []]
            if not columns:
                return QueryResult([], [], False)
            if limit is None:
                return QueryResult(columns, cursor.fetchall(), False)
            rows = cursor.fetchmany(limit + 1)
        except duckdb.Error as error:
            if is_duckdb_lock(error):
                raise warehouse_locked(error, warehouse.path, then=AGAIN) from error
            hint = (
                "dataops sql only reads: the warehouse is written by dbt (dataops build)"
                if "read-only mode" in str(error)
                else "fix the SQL; .tables in dataops sql's shell lists the relations"
            )
            raise DataOpsError(f"the query failed: {_first_line(error)}", hint) from error
    return QueryResult(columns, rows[:limit], len(rows) > limit)


def tables(warehouse: Warehouse) -> QueryResult:
    """Every table and view of the warehouse (and of prod, for a sandbox), by schema."""
    return run(
        warehouse,
        "select database, schema, name, kind from ("
        " select database_name as database, schema_name as schema, table_name as name,"
        " 'table' as kind, internal from duckdb_tables()"
        " union all select database_name, schema_name, view_name, 'view', internal"
        " from duckdb_views()"
        ") where not internal and database not in ('system', 'temp')"
        " order by 1, 2, 3",
    )


def split_statements(lines: Iterable[str]) -> tuple[list[str], list[str]]:
    """The complete statements of a shell's input lines, and the lines left over.

    A statement ends with a line ending with ``;`` (a ``;`` inside a string at the end
    of a line ends it too, as in DuckDB's own shell). A dot command (``.tables``) alone
    on a line, outside a statement, is one of its own; blank lines between statements
    are dropped. The lines after the last ``;`` are not a statement yet: the shell asks
    for more.
    """
    statements: list[str] = []
    pending: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith(".")):
            if stripped:
                statements.append(stripped)
            continue
        pending.append(line)
        if stripped.endswith(";"):
            statements.append("\n".join(pending).strip())
            pending = []
    return statements, pending
