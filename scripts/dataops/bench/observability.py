"""Overhead of the observability collection on ``dbt build`` of the real year.

The year is fed and ingested once into a folder of its own; every measured
run starts from a copy of that ingested warehouse, so each ``dbt build`` does
the same work from scratch. Runs with and without collection alternate (the
order flips each round, so neither side always runs on a warmer machine) and
each is a separate ``dbt`` process, timed from start to exit as a user would
see it. Without collection means: the on-run-end hook disabled
(``observability_enabled: false``) and the observability models excluded.
Each side keeps its own dbt target folder, so both parse partially.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.ingest.run import ingest

log = logging.getLogger(__name__)

TARGET = "ci"
MODES = {
    "with": [],
    "without": [
        "--vars",
        "{observability_enabled: false}",
        "--exclude",
        "path:models/observability",
    ],
}


@dataclass
class BenchResult:
    """Wall times in seconds of each measured run, per mode."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    hook_seconds: list[float] = field(default_factory=list)

    def median(self, mode: str) -> float:
        return statistics.median(self.seconds[mode])

    @property
    def overhead(self) -> float:
        """Median with collection over median without, minus one (0.05 = 5 % slower)."""
        return self.median("with") / self.median("without") - 1

    @property
    def paired_overhead(self) -> float:
        """Median over the rounds of (with / without - 1): each pair ran back to back."""
        pairs = zip(self.seconds["with"], self.seconds["without"], strict=True)
        return statistics.median(with_ / without - 1 for with_, without in pairs)

    @property
    def hook_share(self) -> float:
        """Median time of the recording hook itself over the median build with it."""
        return statistics.median(self.hook_seconds) / self.median("with")


def _dbt_executable() -> str:
    found = Path(sys.executable).with_name("dbt")
    if found.is_file():
        return str(found)
    which = shutil.which("dbt")
    if which is None:
        raise DataOpsError("no dbt executable next to Python or on PATH", "run make install")
    return which


def prepare(project: Project, workdir: Path) -> Path:
    """Feed and ingest the year once under ``workdir``; return the pristine warehouse copy."""
    pristine = workdir / "ingested.duckdb"
    if pristine.exists():
        log.info("reusing the ingested year in %s", workdir)
        return pristine
    data = workdir / "data"
    warehouses = workdir / "warehouse"
    environment = {"DATAOPS_DATA_DIR": str(data), "DATAOPS_WAREHOUSE_DIR": str(warehouses)}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        bench_project = Project(project.root)
        feed(load_feeds(bench_project.models_dir), bench_project.inbox_dir)
        summary = ingest(bench_project, TARGET)
        if summary.rejected:
            raise DataOpsError("the benchmark's ingest rejected files", f"see {data}")
        shutil.copy2(bench_project.warehouse_path(TARGET), pristine)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return pristine


# dbt's line at the end of the hook: "OK hook: nycflights.on-run-end.0 ... in 0.52s]"
HOOK_LINE = re.compile(r"OK hook: \S*on-run-end\S* .* in (\d+(?:\.\d+)?)s")


def timed_build(
    project: Project, workdir: Path, pristine: Path, mode: str
) -> tuple[float, float | None]:
    """Restore the ingested warehouse, time one ``dbt build`` process in ``mode``.

    Returns the wall time and the time dbt reports for the recording hook (none
    without collection).
    """
    warehouses = workdir / "warehouse"
    shutil.copy2(pristine, warehouses / f"{TARGET}.duckdb")
    environment = {
        **os.environ,
        "DATAOPS_DATA_DIR": str(workdir / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(warehouses),
    }
    command = [
        _dbt_executable(),
        "build",
        "--target",
        TARGET,
        "--project-dir",
        str(project.root),
        "--profiles-dir",
        str(project.root),
        "--target-path",
        str(workdir / f"target-{mode}"),
        "--log-path",
        str(workdir / f"logs-{mode}"),
        *MODES[mode],
    ]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-15:])
        raise DataOpsError(
            f"dbt build ({mode} collection) failed:\n{tail}",
            f"see {workdir / f'logs-{mode}' / 'dbt.log'}",
        )
    hook = HOOK_LINE.search(completed.stdout)
    return elapsed, float(hook.group(1)) if hook and mode == "with" else None


def bench(
    project: Project,
    workdir: Path,
    rounds: int,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """``rounds`` measured builds per mode, alternating, after one unmeasured warm-up each."""
    if rounds < 1:
        raise DataOpsError(f"--rounds must be at least 1, not {rounds}", "pass --rounds 3")
    workdir.mkdir(parents=True, exist_ok=True)
    pristine = prepare(project, workdir)
    result = BenchResult()
    for mode in MODES:
        if progress:
            progress(f"warm-up {mode} collection")
        timed_build(project, workdir, pristine, mode)
    for round_number in range(rounds):
        order = list(MODES) if round_number % 2 == 0 else list(reversed(MODES))
        for mode in order:
            seconds, hook = timed_build(project, workdir, pristine, mode)
            result.seconds[mode].append(seconds)
            if hook is not None:
                result.hook_seconds.append(hook)
            if progress:
                progress(f"round {round_number + 1}/{rounds}: {mode} collection {seconds:.1f} s")
    return result
