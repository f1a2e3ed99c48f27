"""What every run costs: time, memory and disk, recorded beside the run history.

``recorded(project, target, command)`` wraps a command that builds, publishes,
ingests or trains; ``dataops.observability.sampling`` samples its process tree, DuckDB's
own memory and the target's ``temp_directory`` every second while it runs.

When the command ends, dbt has closed the warehouse (one writer per file): the
record (``observability.run_resources``) and the size of each zone
(``observability.zone_sizes``, see ``dataops.observability.storage``) are
written then. A warehouse another process holds, or a run not gone through,
keeps it in a spool file beside it (``<target>.resources.jsonl``) till the next;
prod's file is written by a publish only (``record_into``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.publish import PROD
from dataops.observability import budgets, storage
from dataops.observability.sampling import (
    INTERVAL_SECONDS,
    Peaks,
    Sampler,
    folder_usage,
    tree_cpu_seconds,
)

log = logging.getLogger(__name__)

SCHEMA = "observability"
RUNS_TABLE = f"{SCHEMA}.run_resources"
# observability.run_resources, in order: (name, type)
RUN_COLUMNS = (
    ("run_id", "varchar"),
    ("command", "varchar"),
    ("target", "varchar"),
    ("status", "varchar"),
    ("wall_seconds", "double"),
    ("cpu_seconds", "double"),
    ("peak_rss_bytes", "bigint"),
    ("peak_duckdb_memory_bytes", "bigint"),
    ("duckdb_memory_limit_bytes", "bigint"),
    ("peak_duckdb_temporary_bytes", "bigint"),
    ("peak_spill_bytes", "bigint"),
    ("warehouse_bytes", "bigint"),
    ("landing_bytes", "bigint"),
    ("landing_files", "bigint"),
    ("samples", "bigint"),
    ("memory_alert_share", "double"),
    ("warehouse_budget_bytes", "bigint"),
    ("landing_budget_bytes", "bigint"),
    ("started_at", "timestamp"),
    ("ended_at", "timestamp"),
    # what recording this run cost: the sampler's CPU, measuring the stores for the record
    ("sampling_cpu_seconds", "double"),
    ("writing_seconds", "double"),
)


@dataclass
class RunResources:
    """One command's cost: what ``observability.run_resources`` keeps (sizes in bytes)."""

    command: str
    target: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "running"
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    peak_duckdb_memory_bytes: int | None = None
    duckdb_memory_limit_bytes: int | None = None
    peak_duckdb_temporary_bytes: int | None = None
    peak_spill_bytes: int = 0
    warehouse_bytes: int | None = None
    landing_bytes: int = 0
    landing_files: int = 0
    samples: int = 0
    memory_alert_share: float | None = None
    warehouse_budget_bytes: int | None = None
    landing_budget_bytes: int | None = None
    started_at: str = ""
    ended_at: str = ""
    zones: list[dict] = field(default_factory=list)
    # what the recording itself cost: the sampling thread's CPU, and writing the record
    sampling_cpu_seconds: float = 0.0
    writing_seconds: float = 0.0
    # the file this run's record went into before the run ended (a publish's candidate)
    recorded_into: str = ""


def temporary_folder(project: Project, target: str) -> Path | None:
    """The target's ``temp_directory`` (DuckDB's default: the warehouse path + ``.tmp``)."""
    _name, output = project.output(target)
    if output["type"] != "duckdb":
        return None
    configured = (output.get("config_options") or {}).get("temp_directory")
    if configured:
        path = Path(str(configured))
        return path if path.is_absolute() else project.root / path
    warehouse = project.warehouse_path(target)
    return warehouse.with_name(warehouse.name + ".tmp")


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def enabled() -> bool:
    """``DATAOPS_RECORD_RESOURCES=0`` turns the recording off (the benchmark's baseline)."""
    return os.environ.get("DATAOPS_RECORD_RESOURCES", "1") not in ("0", "false", "no")


@dataclass
class _Live:
    """A recording under way: its sampler, and where its time and CPU started."""

    sampler: Sampler
    cpu_before: float
    started: float
    # the run ids record_into wrote into the candidate: dropped from the spool after the swap
    written: set[str] = field(default_factory=set)

    def measure(self, run: RunResources, stop: bool) -> None:
        """The run's figures up to now (``stop``: the sampler's last sample, then its end)."""
        peaks = self.sampler.stop() if stop else self.sampler.peaks
        run.wall_seconds = time.perf_counter() - self.started
        run.cpu_seconds = tree_cpu_seconds(self.sampler.process) - self.cpu_before
        run.ended_at = _now()
        _take(run, peaks)
        run.sampling_cpu_seconds = self.sampler.cpu_seconds


# the recordings under way in this process, by run id (for ``record_into``)
_LIVE: dict[str, _Live] = {}


@contextmanager
def recorded(
    project: Project, target: str | None, command: str, interval: float = INTERVAL_SECONDS
) -> Iterator[RunResources]:
    """Record what the block costs as one row of ``observability.run_resources`` of ``target``.

    The block's exception passes through, recorded as ``refused`` (a DataOpsError) or
    ``error``; a run not gone through (those, or a block's ``blocked``) waits in the spool
    beside the warehouse, written with the next run's, so the file stays as it was. Prod's
    file is written by a publish only: a publish records itself into its candidate just
    before the swap (``record_into``); any other run on prod waits in the spool for the next
    publish. A failure to record is logged, never raised: the command's own outcome stands.
    """
    name = project.output(target)[0]
    run = RunResources(command=command, target=name)
    if not enabled():
        yield run
        return
    sampler = Sampler(temporary_folder(project, name), interval)
    live = _Live(sampler, tree_cpu_seconds(sampler.process), time.perf_counter())
    run.started_at = _now()
    _LIVE[run.run_id] = live
    sampler.start()
    try:
        yield run
        if run.status == "running":  # the block may say it did not go through ("blocked")
            run.status = "success"
    except DataOpsError:
        run.status = "refused"
        raise
    except BaseException:
        run.status = "error"
        raise
    finally:
        del _LIVE[run.run_id]
        in_prod = bool(run.recorded_into) and run.status == "success"
        if not in_prod:
            live.measure(run, stop=True)
        writing = time.perf_counter()
        try:
            if in_prod:
                # in prod since the swap, with the spooled records it carried; a record
                # another command spooled meanwhile stays for the next publish
                _drop_spooled(_spool_of(project, run), live.written)
            else:
                into = run.status == "success" and name != PROD
                finish(project, run, into_warehouse=into)
        except Exception as error:  # never fails the command, nor adds to its error
            (log.warning if run.status == "success" else log.debug)(
                "the resources of this %s were not recorded: %s", command, error
            )
        if sampler.is_alive():  # stopped after the publish's record, not measured again
            sampler.stop()
        if not in_prod:  # else written by record_into, before the swap
            run.writing_seconds = time.perf_counter() - writing
        log.debug(
            "recording this %s cost %.3f s of CPU sampling and %.3f s writing (%.1f s wall)",
            command,
            run.sampling_cpu_seconds,
            run.writing_seconds,
            run.wall_seconds,
        )


def record_into(project: Project, run: RunResources, warehouse: Path) -> None:
    """Write ``run``, measured up to now, and the spooled records into ``warehouse``.

    A publish calls it on its candidate just before the swap, so prod carries the
    record of the publish that made it and prod's file is never opened for writing
    after it (a reader of prod never meets a lock). The spool beside prod is kept until
    the swap went through; a publish that fails after this spools its record as usual.
    """
    live = _LIVE.get(run.run_id)
    if live is None:  # recording off
        return
    live.measure(run, stop=False)
    run.status = "success"
    try:
        live.written = finish(project, run, into=warehouse, keep_spool=True)
    except Exception as error:  # never fails the publish
        log.warning("the resources of this %s were not recorded: %s", run.command, error)
        run.status = "running"
        return
    run.recorded_into = str(warehouse)
    run.status = "running"


def _take(run: RunResources, peaks: Peaks) -> None:
    run.peak_rss_bytes = peaks.rss_bytes
    run.peak_duckdb_memory_bytes = peaks.duckdb_memory_bytes
    run.peak_duckdb_temporary_bytes = peaks.duckdb_temporary_bytes
    run.duckdb_memory_limit_bytes = peaks.duckdb_memory_limit_bytes
    run.peak_spill_bytes = peaks.spill_bytes
    run.samples = peaks.samples


def _spool_of(project: Project, run: RunResources) -> Path:
    warehouse = project.warehouse_path(run.target)
    return warehouse.with_name(f"{warehouse.stem}.resources.jsonl")


def finish(
    project: Project,
    run: RunResources,
    into_warehouse: bool = True,
    into: Path | None = None,
    keep_spool: bool = False,
) -> set[str]:
    """Measure the stores, apply the budgets of the day, write the record (or spool it).

    Without ``into_warehouse`` the record only waits in the spool, written with the next one.
    ``into``: the file to write into instead of the target's warehouse (a publish's
    candidate); ``keep_spool``: the spool stays till the caller knows that file is kept.
    Returns the run ids written (none: an empty set).
    """
    budget = budgets.Budgets.of(project)
    run.memory_alert_share = budget.memory_alert_share
    run.warehouse_budget_bytes = budget.warehouse_bytes
    run.landing_budget_bytes = budget.landing_bytes
    run.landing_bytes, run.landing_files = folder_usage(project.landing_dir)
    _name, output = project.output(run.target)
    warehouse = into or project.warehouse_path(run.target)
    if output["type"] != "duckdb" or not warehouse.exists():
        log.debug("no DuckDB warehouse for target %s: its resources are not recorded", run.target)
        return set()
    spool = _spool_of(project, run)
    if not keep_spool:  # kept there till written: a kill while writing loses nothing
        _append(spool, asdict(run))
    if not into_warehouse:
        return set()
    try:
        con = duckdb.connect(str(warehouse))
    except duckdb.IOException as error:
        log.warning("%s is held by another process: the record waits in %s", warehouse, spool)
        log.debug("%s", error)
        return set()
    try:
        written = _write_spooled(con, warehouse, spool, run)
    finally:
        con.close()
    if not keep_spool:
        _drop_spooled(spool, written)
    return written


def _append(spool: Path, record: dict) -> None:
    """One record a line, under an exclusive lock (commands ending at once write whole lines)."""
    with spool.open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(json.dumps(record) + "\n")


def _drop_spooled(spool: Path, written: set[str]) -> None:
    """Remove the records written from the spool; one spooled since stays (none left: removed)."""
    if not spool.exists():
        return
    with spool.open("r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        kept = [
            line
            for line in file.read().splitlines()
            if line.strip() and json.loads(line).get("run_id") not in written
        ]
        if not kept:
            spool.unlink()
            return
        file.seek(0)
        file.truncate()
        file.write("".join(f"{line}\n" for line in kept))


def _value(record: dict, name: str, kind: str) -> object:
    """A spooled record's value; a time never set ('') is unknown, not an error."""
    value = record.get(name)
    return None if kind == "timestamp" and not value else value


def _write_spooled(
    con: duckdb.DuckDBPyConnection, warehouse: Path, spool: Path, run: RunResources
) -> set[str]:
    """Write every spooled record, then the current run with the sizes measured now.

    Returns the run ids written.
    """
    lines = spool.read_text(encoding="utf-8").splitlines() if spool.exists() else []
    records = [json.loads(line) for line in lines if line.strip()]
    measuring = time.perf_counter()
    measured = storage.measure(con, warehouse)
    run.warehouse_bytes = measured.file_bytes
    run.zones = measured.zones
    con.execute(f"create schema if not exists {SCHEMA}")
    columns = ", ".join(f"{name} {kind}" for name, kind in RUN_COLUMNS)
    con.execute(f"create table if not exists {RUNS_TABLE} ({columns})")
    for name, kind in RUN_COLUMNS:  # a table of an older release gains the newer columns
        con.execute(f"alter table {RUNS_TABLE} add column if not exists {name} {kind}")
    storage.create_table(con)
    run.writing_seconds = time.perf_counter() - measuring  # the inserts left: microseconds
    names = ", ".join(name for name, _kind in RUN_COLUMNS)
    marks = ", ".join("?" for _ in RUN_COLUMNS)
    con.execute("begin transaction")
    for record in [*(r for r in records if r["run_id"] != run.run_id), asdict(run)]:
        values = [_value(record, name, kind) for name, kind in RUN_COLUMNS]
        con.execute(f"insert into {RUNS_TABLE} ({names}) values ({marks})", values)
        ended = _value(record, "ended_at", "timestamp")
        storage.insert(con, record["run_id"], ended, record.get("zones") or [])
    con.execute("commit")
    return {record["run_id"] for record in records} | {run.run_id}


def metadata(run: RunResources) -> dict[str, float | int | str]:
    """A recorded run's figures as an asset materialization's metadata (Dagster)."""
    figures = {
        "wall seconds": round(run.wall_seconds, 3),
        "cpu seconds": round(run.cpu_seconds, 3),
        "peak rss bytes": run.peak_rss_bytes,
        "peak duckdb memory bytes": run.peak_duckdb_memory_bytes,
        "peak spill bytes": run.peak_spill_bytes,
        "warehouse bytes": run.warehouse_bytes,
        "landing bytes": run.landing_bytes,
        "landing files": run.landing_files,
    }
    return {name: value for name, value in figures.items() if value is not None}


def recorded_metadata(project: Project, target: str, command: str) -> dict[str, float | int | str]:
    """The latest recorded ``command`` on ``target`` (read-only), as ``metadata`` gives it.

    For a command another process recorded ({}: none): Dagster's training asset's child.
    """
    warehouse = project.warehouse_path(target)
    if not warehouse.exists():
        return {}
    query = f"select * from {RUNS_TABLE} where command = ? order by ended_at desc limit 1"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cursor = con.execute(query, [command])
            names, rows = [column[0] for column in cursor.description], cursor.fetchall()
    except duckdb.Error as error:  # none recorded yet, or the file held: no figures
        log.debug("no recorded %s on %s: %s", command, target, error)
        return {}
    run = RunResources(command=command, target=target)
    for name, value in zip(names, rows[0] if rows else [], strict=False):
        if value is not None and name in run.__dataclass_fields__:
            setattr(run, name, value)
    return metadata(run) if rows else {}
