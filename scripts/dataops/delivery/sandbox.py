"""Disposable per-analyst warehouses built from prod in seconds.

A sandbox is ``warehouse/sandboxes/<name>.duckdb``, the dbt target ``sandbox``
chosen by ``DATAOPS_SANDBOX=<name>`` (profiles.yml). That target attaches prod
read-only under the catalog ``prod``. Two ways to make one, both measured by
``dataops sandbox measure``:

- ``zero-copy`` (the default): the new file holds one view per relation of
  prod (``select * from prod.<schema>.<relation>``), nothing else. It takes
  milliseconds whatever prod's size, and plain ``dbt build -s my_model+
  --target sandbox`` works: the upstream models are there (as views over
  prod), the selected ones are built as real tables in the sandbox;
- ``copy``: a byte copy of prod's file, which costs time and disk in
  proportion to prod.

Reading a zero-copy sandbox outside dbt needs prod attached first:
``attach 'warehouse/prod.duckdb' as prod (read_only)``.

A sandbox's name follows one rule (``dataops.core.project.check_sandbox_name``):
``create`` applies it, and so does the target ``sandbox`` to DATAOPS_SANDBOX,
in plain dbt (the plugin ``dataops.delivery.sandbox_guard``) and in ``dataops``, before
any file is opened. An unset DATAOPS_SANDBOX is refused: a shared default
sandbox would mix the builds of whoever forgot to set it.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.core.dbt import DbtOutcome, run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import SANDBOX_VARIABLE, Project, check_sandbox_name
from dataops.delivery import publish_inputs
from dataops.delivery.publish import Places

log = logging.getLogger(__name__)

TARGET = "sandbox"
VARIABLE = SANDBOX_VARIABLE
ZERO_COPY = "zero-copy"
COPY = "copy"
# Schemas of prod not exposed in a sandbox: its failing rows are its own, and so is
# its run history (the observability hook writes its own tables in the sandbox).
SKIPPED_SCHEMAS = ("test_failures", "observability")


@dataclass(frozen=True)
class SandboxInfo:
    name: str
    path: Path
    bytes: int
    modified: datetime


def sandbox_path(project: Project, name: str) -> Path:
    return project.warehouse_dir / "sandboxes" / f"{name}.duckdb"


def _require_prod(project: Project) -> Path:
    prod = Places.of(project).prod
    if not prod.exists():
        raise DataOpsError(f"no prod warehouse at {prod}", publish_inputs.advice(project))
    return prod


def remove_file(path: Path) -> None:
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)


def quote_identifier(name: str) -> str:
    """A name as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def attach_read_only(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """Attach the DuckDB file ``path`` read-only as ``alias`` (the path bound, never spliced)."""
    con.execute(f"attach ? as {quote_identifier(alias)} (read_only)", [str(path)])


def create_zero_copy(prod: Path, path: Path) -> int:
    """A new file with one view per relation of prod; returns the number of views."""
    con = duckdb.connect(str(path))
    try:
        attach_read_only(con, prod, "prod")
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = 'prod' and not list_contains($skipped, schema_name)"
            " union all select schema_name, view_name from duckdb_views()"
            " where database_name = 'prod' and not internal"
            " and not list_contains($skipped, schema_name)"
            " order by 1, 2",
            {"skipped": list(SKIPPED_SCHEMAS)},
        ).fetchall()
        for schema in sorted({schema for schema, _name in relations}):
            con.execute(f"create schema if not exists {quote_identifier(schema)}")
        for schema, name in relations:
            relation = f"{quote_identifier(schema)}.{quote_identifier(name)}"
            con.execute(f"create view {relation} as select * from prod.{relation}")
        con.execute("detach prod")
        return len(relations)
    finally:
        con.close()


def create(project: Project, name: str, mode: str = ZERO_COPY, replace: bool = False) -> Path:
    """Make the sandbox ``name`` from prod."""
    check_sandbox_name(name)
    prod = _require_prod(project)
    path = sandbox_path(project, name)
    if path.exists() and not replace:
        raise DataOpsError(
            f"sandbox {name} exists ({path})",
            f"use it, or drop it first: dataops sandbox drop {name}",
        )
    remove_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == COPY:
        shutil.copyfile(prod, path)
    else:
        count = create_zero_copy(prod, path)
        log.info("sandbox %s: %d views over prod", name, count)
    return path


def list_sandboxes(project: Project) -> list[SandboxInfo]:
    folder = project.warehouse_dir / "sandboxes"
    found = []
    for path in sorted(folder.glob("*.duckdb")) if folder.exists() else []:
        stat = path.stat()
        found.append(
            SandboxInfo(
                path.stem, path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            )
        )
    return found


def drop(project: Project, name: str) -> Path:
    check_sandbox_name(name, frozenset())
    path = sandbox_path(project, name)
    if not path.exists():
        raise DataOpsError(f"no sandbox {name} ({path})", "dataops sandbox list shows them")
    remove_file(path)
    return path


def build_in(
    project: Project,
    name: str,
    select: Sequence[str],
    extra: Sequence[str] = (),
    artifacts_dir: Path | None = None,
) -> DbtOutcome:
    """``dbt build -s <select>`` on the target ``sandbox`` with DATAOPS_SANDBOX=name."""
    check_sandbox_name(name)
    command = ["build", "--select", *select, *extra]
    return run_dbt(project, command, TARGET, artifacts_dir, env={VARIABLE: name})


@dataclass(frozen=True)
class Measure:
    mode: str
    create_seconds: float
    build_seconds: float
    run_seconds: float
    file_bytes: int
    built: int


def measure(project: Project, select: Sequence[str], artifacts_dir: Path | None = None) -> list:
    """Create a sandbox each way, build ``select`` in it, time both, drop it."""
    # dbt's first in-process run pays its imports: warm up so that both are timed alike.
    run_dbt(project, ["parse"], TARGET, artifacts_dir, env={VARIABLE: "measure_warm_up"})
    results = []
    for mode in (ZERO_COPY, COPY):
        name = f"measure_{mode.replace('-', '_')}"
        started = time.perf_counter()
        path = create(project, name, mode, replace=True)
        created = time.perf_counter() - started
        started = time.perf_counter()
        # Every build parses the project in full, so both pay the same parse.
        outcome = build_in(
            project, name, select, ["--no-partial-parse"], artifacts_dir=artifacts_dir
        )
        built = time.perf_counter() - started
        if not outcome.success:
            raise DataOpsError(
                f"dbt build -s {' '.join(select)} failed in sandbox {name}",
                "read the dbt output above",
            )
        size = path.stat().st_size
        drop(project, name)
        results.append(
            Measure(mode, created, built, outcome.elapsed, size, sum(outcome.models.values()))
        )
    return results
