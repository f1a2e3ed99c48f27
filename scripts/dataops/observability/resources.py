"""What every run costs: time, memory and disk, recorded beside the run history.

``recorded(project, target, command)`` wraps a command that builds, publishes,
ingests or trains. While it runs, a thread samples every ``interval`` seconds (1):

- the resident memory (RSS) of this process and all its children, by psutil
  (dbt runs in-process; Spark's JVM and other children are summed in);
- DuckDB's own memory (``duckdb_memory()``: its buffer manager, per tag) and
  the bytes it keeps in temporary files, read through the connection dbt-duckdb
  holds open in this process (none while no dbt node runs, nor for steps that
  open DuckDB themselves: ingest's log, training's reads);
- the size of the target's ``temp_directory`` (what DuckDB spilled there).

When the command ends, dbt has closed the warehouse (one writer per file): the
record (``observability.run_resources``) and the size of each zone
(``observability.zone_sizes``, see ``dataops.observability.storage``) are
written then. A warehouse another process holds, or a run not gone through,
keeps it in a spool file beside it (``<target>.resources.jsonl``) till the next.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.observability import budgets, storage

log = logging.getLogger(__name__)

SCHEMA = "observability"
RUNS_TABLE = f"{SCHEMA}.run_resources"
# a sample costs a few ms of CPU (psutil walks /proc for the children): 1 s keeps it small
INTERVAL_SECONDS = 1.0
# the children are listed again every this many samples (dbt's, Spark's live for long)
CHILDREN_EVERY = 5
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
)


@dataclass
class Peaks:
    """The highest figures the sampler saw."""

    rss_bytes: int = 0
    duckdb_memory_bytes: int | None = None
    duckdb_temporary_bytes: int | None = None
    duckdb_memory_limit_bytes: int | None = None
    spill_bytes: int = 0
    samples: int = 0

    def duckdb(self, memory: int, temporary: int, limit: int | None) -> None:
        self.duckdb_memory_bytes = max(self.duckdb_memory_bytes or 0, memory)
        self.duckdb_temporary_bytes = max(self.duckdb_temporary_bytes or 0, temporary)
        if limit:
            self.duckdb_memory_limit_bytes = limit


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


def tree_rss(process: psutil.Process, children: list[psutil.Process] | None = None) -> int:
    """Resident bytes of ``process`` and its children (default: those it has now; gone: skipped)."""
    total = 0
    members = process.children(recursive=True) if children is None else children
    for member in [process, *members]:
        with suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def tree_cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds (user + system) of ``process``, its children ended and its children alive."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        with suppress(psutil.Error):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


def folder_usage(folder: Path) -> tuple[int, int]:
    """Bytes and number of the files under ``folder`` (0, 0 when it does not exist)."""
    size = count = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with suppress(OSError):
                size += os.stat(os.path.join(root, name), follow_symlinks=False).st_size
                count += 1
    return size, count


def dbt_duckdb_figures() -> tuple[int, int, int | None] | None:
    """DuckDB's memory, temporary bytes and memory limit, read through dbt's open connection.

    None when dbt-duckdb holds no connection now (no node running, or no dbt in this run).
    """
    # dbt-duckdb not imported yet: no dbt ran in this process (importing it costs a second)
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    # the module may be half imported (dbt loading it now): its class not there yet
    manager = getattr(connections, "DuckDBConnectionManager", None)
    if manager is None:
        return None
    environment = getattr(manager, "_ENV", None)
    if environment is None or not hasattr(environment, "lock"):
        return None
    # the environment closes its connection under this lock: held, the connection stays open
    with environment.lock:
        connection = getattr(environment, "conn", None)
        if connection is None:
            return None
        cursor = connection.cursor()
        try:
            memory, temporary = cursor.execute(
                "select sum(memory_usage_bytes), sum(temporary_storage_bytes) from duckdb_memory()"
            ).fetchall()[0]
            limit = cursor.execute("select current_setting('memory_limit')").fetchall()[0][0]
        finally:
            cursor.close()
    return int(memory or 0), int(temporary or 0), storage.parse_bytes(str(limit))


class Sampler(threading.Thread):
    """Samples the process tree, DuckDB and the temporary folder until stopped."""

    def __init__(self, temporary_folder: Path | None, interval: float = INTERVAL_SECONDS):
        super().__init__(name="dataops-resources", daemon=True)
        self.process = psutil.Process()
        self.temporary_folder = temporary_folder
        self.interval = interval
        self.peaks = Peaks()
        self.stopped = threading.Event()
        self.cpu_seconds = 0.0
        self.children: list[psutil.Process] = []

    def sample(self) -> None:
        peaks = self.peaks
        if peaks.samples % CHILDREN_EVERY == 0:  # finding the children walks all of /proc
            with suppress(psutil.Error):
                self.children = self.process.children(recursive=True)
        peaks.rss_bytes = max(peaks.rss_bytes, tree_rss(self.process, self.children))
        try:
            figures = dbt_duckdb_figures()
        except duckdb.Error as error:  # the connection closing as we read: next sample
            log.debug("duckdb_memory() not read: %s", error)
            figures = None
        if figures is not None:
            peaks.duckdb(*figures)
        if self.temporary_folder is not None:
            peaks.spill_bytes = max(peaks.spill_bytes, folder_usage(self.temporary_folder)[0])
        peaks.samples += 1

    def run(self) -> None:
        started = time.thread_time()
        while not self.stopped.is_set():
            self.sample_safely()
            self.stopped.wait(self.interval)
        self.cpu_seconds = time.thread_time() - started

    def stop(self) -> Peaks:
        self.stopped.set()
        self.join()
        self.sample_safely()  # the figures at the end count too
        return self.peaks

    def sample_safely(self) -> None:
        try:
            self.sample()
        except Exception as error:  # a sample missed: the others count
            log.debug("resources not sampled: %s", error)


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


@contextmanager
def recorded(
    project: Project, target: str | None, command: str, interval: float = INTERVAL_SECONDS
) -> Iterator[RunResources]:
    """Record what the block costs as one row of ``observability.run_resources`` of ``target``.

    The block's exception passes through, recorded as ``refused`` (a DataOpsError) or
    ``error``; a run not gone through (those, or a block's ``blocked``) waits in the spool
    beside the warehouse, written with the next run's, so the file stays as it was. A
    failure to record is logged, never raised: the command's own outcome stands.
    """
    name = project.output(target)[0]
    run = RunResources(command=command, target=name)
    if not enabled():
        yield run
        return
    sampler = Sampler(temporary_folder(project, name), interval)
    process = sampler.process
    cpu_before = tree_cpu_seconds(process)
    started = time.perf_counter()
    run.started_at = _now()
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
        peaks = sampler.stop()
        run.wall_seconds = time.perf_counter() - started
        run.cpu_seconds = tree_cpu_seconds(process) - cpu_before
        run.ended_at = _now()
        _take(run, peaks)
        run.sampling_cpu_seconds = sampler.cpu_seconds
        writing = time.perf_counter()
        try:
            finish(project, run, into_warehouse=run.status == "success")
        except Exception as error:  # never fails the command, nor adds to its error
            (log.warning if run.status == "success" else log.debug)(
                "the resources of this %s were not recorded: %s", command, error
            )
        run.writing_seconds = time.perf_counter() - writing
        log.debug(
            "recording this %s cost %.3f s of CPU sampling and %.3f s writing (%.1f s wall)",
            command,
            run.sampling_cpu_seconds,
            run.writing_seconds,
            run.wall_seconds,
        )


def _take(run: RunResources, peaks: Peaks) -> None:
    run.peak_rss_bytes = peaks.rss_bytes
    run.peak_duckdb_memory_bytes = peaks.duckdb_memory_bytes
    run.peak_duckdb_temporary_bytes = peaks.duckdb_temporary_bytes
    run.duckdb_memory_limit_bytes = peaks.duckdb_memory_limit_bytes
    run.peak_spill_bytes = peaks.spill_bytes
    run.samples = peaks.samples


def finish(project: Project, run: RunResources, into_warehouse: bool = True) -> None:
    """Measure the stores, apply the budgets of the day, write the record (or spool it).

    Without ``into_warehouse`` the record only waits in the spool, written with the next one.
    """
    budget = budgets.Budgets.of(project)
    run.memory_alert_share = budget.memory_alert_share
    run.warehouse_budget_bytes = budget.warehouse_bytes
    run.landing_budget_bytes = budget.landing_bytes
    run.landing_bytes, run.landing_files = folder_usage(project.landing_dir)
    _name, output = project.output(run.target)
    warehouse = project.warehouse_path(run.target)
    if output["type"] != "duckdb" or not warehouse.exists():
        log.debug("no DuckDB warehouse for target %s: its resources are not recorded", run.target)
        return
    spool = warehouse.with_name(f"{warehouse.stem}.resources.jsonl")
    with spool.open("a", encoding="utf-8") as file:
        file.write(json.dumps(asdict(run)) + "\n")
    if not into_warehouse:
        return
    try:
        con = duckdb.connect(str(warehouse))
    except duckdb.IOException as error:
        log.warning("%s is held by another process: the record waits in %s", warehouse, spool)
        log.debug("%s", error)
        return
    try:
        _write_spooled(con, warehouse, spool, run)
    finally:
        con.close()


def _value(record: dict, name: str, kind: str) -> object:
    """A spooled record's value; a time never set ('') is unknown, not an error."""
    value = record.get(name)
    return None if kind == "timestamp" and not value else value


def _write_spooled(
    con: duckdb.DuckDBPyConnection, warehouse: Path, spool: Path, run: RunResources
) -> None:
    """Write every spooled record; the current run gets the sizes measured now."""
    records = [
        json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    measured = storage.measure(con, warehouse)
    run.warehouse_bytes = measured.file_bytes
    run.zones = measured.zones
    con.execute(f"create schema if not exists {SCHEMA}")
    columns = ", ".join(f"{name} {kind}" for name, kind in RUN_COLUMNS)
    con.execute(f"create table if not exists {RUNS_TABLE} ({columns})")
    storage.create_table(con)
    con.execute("begin transaction")
    for record in records:
        if record["run_id"] == run.run_id:
            record = asdict(run)
        values = [_value(record, name, kind) for name, kind in RUN_COLUMNS]
        marks = ", ".join("?" for _ in RUN_COLUMNS)
        con.execute(f"insert into {RUNS_TABLE} values ({marks})", values)
        ended = _value(record, "ended_at", "timestamp")
        storage.insert(con, record["run_id"], ended, record.get("zones") or [])
    con.execute("commit")
    spool.unlink()


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
