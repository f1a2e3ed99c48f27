"""Sampling a command's process tree while it runs: memory, CPU, DuckDB's memory, spills.

``Sampler`` is the thread ``dataops.observability.resources.recorded`` starts; the
functions read the figures once (psutil for the process tree, ``duckdb_memory()``
through the connection dbt-duckdb holds open in this process).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psutil

from dataops.observability import storage

log = logging.getLogger(__name__)

# a sample costs a few ms of CPU (psutil walks /proc for the children): 1 s keeps it small
INTERVAL_SECONDS = 1.0
# the children are listed again every this many samples (dbt's, Spark's live for long)
CHILDREN_EVERY = 5


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
            self.cpu_seconds = time.thread_time() - started  # read while it runs too
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
