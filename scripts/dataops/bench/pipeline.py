"""The benchmark: the pipeline on generated data at several scales, side by side with its floor.

For each scale, in its own folder (``build/bench/x<scale>/``):

1. ``dataops generate`` writes the scaled-up years; the last day's flights and
   weather files are held back;
2. ``dataops ingest`` lands the rest;
3. dbt's fixed start-up: ``dbt parse`` once to write the manifest, then again
   with partial parsing (the figure reported);
4. the full build: ``dbt build`` of every model and snapshot (tests apart),
   then the tests (``dbt test``);
5. the floors (``dataops.bench.floor``): the same compiled SQL executed directly on
   DuckDB, on a copy of the warehouse taken before the build, with the same settings;
   and the facts floor, the least work that gives the facts (one DuckDB script with
   the same settings: parse, key, latest version, weather join, sorted by day);
6. one new day: the held-back files are ingested, then the daily run
   (``dataops.core.build``: ``dbt source freshness``, then ``dbt build --select
   source_status:fresher+`` against the freshness kept after the full build) builds
   what they reach, in one process;
7. ``dataops verify``: every landed file re-hashed against the ingestion log;
   its wall time, and the re-hashing alone (the seconds verify reports, without
   the interpreter's start-up), each per GB landed. The files were just
   written, so they are read from the page cache, as after a day's ingest.

8. the path prod takes (``dataops.bench.publish_path``): ``dataops publish`` of
   the same generated files into a prod of its own, first the history, then the
   held-back day, then that day re-sent corrected; each publish's wall time,
   phases, peak memory and peak extra disk beside prod.

The three slowest models of the full build and of the new day's build are
reported (dbt's ``run_results.json``).

Every step runs as a child process; its wall time and the peak resident
memory of its whole process tree (sampled) are recorded.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import psutil

from dataops.bench import publish_path
from dataops.bench.floor import run_facts_floor, run_floor
from dataops.bench.measure import GIB, Step, measure
from dataops.bench.publish_path import PublishStep
from dataops.core.build import FRESHNESS, fresher_build, state_dir
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.sources import load_feeds
from dataops.ingest import verify

log = logging.getLogger(__name__)

# The dataops CLI in a child process, its exit code that of main() (dataops/cli/__main__.py).
DATAOPS = (sys.executable, "-m", "dataops.cli")
__all__ = ["DATAOPS", "GIB", "Step", "measure"]

BUILD_WITHOUT_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


@dataclass
class ScaleResult:
    scale: float
    flights: int
    steps: dict[str, Step] = field(default_factory=dict)
    slowest_models: list[tuple[str, float]] = field(default_factory=list)
    new_day_slowest_models: list[tuple[str, float]] = field(default_factory=list)
    # bytes of the landed files the ingestion log names, once every step ran
    landed_bytes: int = 0
    # seconds dataops verify spent re-hashing them (its wall time less start-up)
    hashing_seconds: float = 0.0
    # the path prod takes: the first publish, one new day, one re-sent day
    publishes: dict[str, PublishStep] = field(default_factory=dict)

    def seconds(self, name: str) -> float:
        return self.steps[name].seconds

    # nodes the new day's build ran (models, snapshots, seeds)
    new_day_nodes: int = 0

    @property
    def floor_ratio(self) -> float:
        return self.seconds("full_build") / self.seconds("floor")

    @property
    def facts_floor_ratio(self) -> float:
        return self.seconds("full_build") / self.seconds("facts_floor")

    @property
    def new_day_share(self) -> float:
        return self.seconds("new_day_build") / self.seconds("full_build")

    @property
    def verify_seconds_per_gb(self) -> float:
        return self.seconds("verify") / (self.landed_bytes / 1e9)

    @property
    def hashing_seconds_per_gb(self) -> float:
        return self.hashing_seconds / (self.landed_bytes / 1e9)

    def publish_share(self, name: str) -> float:
        """A day's publish as a share of the first publish."""
        return self.publishes[name].seconds / self.publishes["publish_first"].seconds

    @property
    def peak_bytes(self) -> int:
        return max(step.peak_bytes for step in [*self.steps.values(), *self.publishes.values()])


def _hold_back_last_day(inbox: Path, held: Path) -> list[str]:
    """Move the last day's flights and weather files out of the inbox."""
    names = []
    for source in ("flights", "weather"):
        files = sorted((inbox / source).iterdir())
        last = files[-1]
        (held / source).mkdir(parents=True, exist_ok=True)
        last.rename(held / source / last.name)
        names.append(last.name)
    return names


def _nodes_run(target_dir: Path) -> int:
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    return sum(
        result["unique_id"].split(".")[0] in ("model", "snapshot", "seed")
        for result in results["results"]
    )


def _slowest_models(target_dir: Path, count: int = 3) -> list[tuple[str, float]]:
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    timings = [
        (result["unique_id"].split(".")[-1], float(result["execution_time"]))
        for result in results["results"]
    ]
    return sorted(timings, key=lambda item: -item[1])[:count]


def _duckdb_settings(project: Project, target: str) -> dict[str, str]:
    """The DuckDB options of a dbt target: its config_options and its settings."""
    output = project.profile()["outputs"][target]
    settings = {**(output.get("config_options") or {}), **(output.get("settings") or {})}
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in settings.items()
    }


DBT = (str(Path(sys.executable).with_name("dbt")),)


def bench_environment(
    project: Project, folder: Path, target: str
) -> tuple[dict[str, str], list[str]]:
    """The environment and dbt arguments of a benchmark's child processes in ``folder``.

    Data, warehouse and dbt's artifacts live in ``folder``'s ``data``, ``warehouse`` and
    ``dbt`` subfolders; the project is this checkout.
    """
    artifacts = folder / "dbt"
    env = {
        **os.environ,
        "DATAOPS_PROJECT_DIR": str(project.root),
        "DATAOPS_DATA_DIR": str(folder / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(folder / "warehouse"),
        "DBT_TARGET": target,
        # each step's output goes to a file: no terminal colour codes in it
        "DBT_USE_COLORS": "false",
    }
    dbt_args = [
        "--project-dir",
        str(project.root),
        "--profiles-dir",
        str(project.root),
        "--target",
        target,
        "--target-path",
        str(artifacts / "target"),
        "--log-path",
        str(artifacts / "logs"),
    ]
    return env, dbt_args


def bench_scale(
    project: Project,
    scale: float,
    folder: Path,
    target: str = "ci",
    seed: int | None = None,
) -> ScaleResult:
    """Every step of the benchmark for one scale, in ``folder`` (emptied first)."""
    from dataops.data.generate import DEFAULT_SEED, plan

    if folder.exists():
        shutil.rmtree(folder)
    data, warehouse_dir, artifacts = folder / "data", folder / "warehouse", folder / "dbt"
    env, dbt_args = bench_environment(project, folder, target)
    dataops = list(DATAOPS)
    dbt = list(DBT)
    plan_ = plan(None, scale, seed if seed is not None else DEFAULT_SEED)
    result = ScaleResult(scale, plan_.flights)

    logs = folder / "logs"
    logs.mkdir(parents=True)

    def step(name: str, command: Sequence[str]) -> None:
        result.steps[name] = measure(name, command, env, project.root, logs / f"{name}.log")

    step("generate", [*dataops, "generate", "--scale", str(scale)])
    _hold_back_last_day(data / "inbox", folder / "held")
    publish_folder = folder / "publish"
    publish_path.prepare(publish_folder, data / "inbox", folder / "held")
    step("ingest", [*dataops, "ingest", "--target", target])
    warehouse = warehouse_dir / f"{target}.duckdb"
    # Same file name, same catalog name: the compiled SQL names "<target>".<schema>.<table>.
    before_build = folder / "floor" / warehouse.name
    before_build.parent.mkdir()
    shutil.copy(warehouse, before_build)
    step("parse_full", [*dbt, "parse", "--no-partial-parse", *dbt_args])
    step("parse", [*dbt, "parse", *dbt_args])
    step("full_build", [*dbt, "build", *BUILD_WITHOUT_TESTS, *dbt_args])
    result.slowest_models = _slowest_models(artifacts / "target")
    shutil.copytree(artifacts / "target", folder / "full_build_target")
    step("tests", [*dbt, "test", *dbt_args])
    # the freshness the daily run compares the new day with, as after the last daily build
    state = state_dir(warehouse_dir, target)
    freshness_log = logs / "freshness.log"
    measure("freshness", [*dbt, *FRESHNESS, *dbt_args], env, project.root, freshness_log)
    state.mkdir(parents=True, exist_ok=True)
    shutil.copy2(artifacts / "target" / "sources.json", state / "sources.json")
    child = [sys.executable, "-m", "dataops.bench.pipeline"]
    floor_copy = folder / "floor" / "floor.duckdb"
    step("floor", [*child, "floor", str(folder / "full_build_target"), str(before_build), target])
    facts = [str(before_build), str(floor_copy.with_name("facts.duckdb")), target]
    step("facts_floor", [*child, "facts-floor", *facts])
    shutil.rmtree(before_build.parent)
    for source in ("flights", "weather"):
        for path in (folder / "held" / source).iterdir():
            path.rename(data / "inbox" / source / path.name)
    step("new_day_ingest", [*dataops, "ingest", "--target", target])
    step("new_day_build", [*child, "new-day", target, str(artifacts)])
    result.new_day_slowest_models = _slowest_models(artifacts / "target")
    result.new_day_nodes = _nodes_run(artifacts / "target")
    step("verify", [*dataops, "verify", "--target", target])
    result.landed_bytes = sum(item.bytes for item in verify.logged_files(warehouse) or [])
    _hashed, result.hashing_seconds = verify.hashing_in(
        (logs / "verify.log").read_text(encoding="utf-8")
    )

    def run(
        name: str, command: Sequence[str], env: dict[str, str], disk: Path
    ) -> tuple[float, int, int]:
        done = measure(name, command, env, project.root, logs / f"{name}.log", disk)
        return done.seconds, done.peak_bytes, done.peak_extra_disk_bytes

    result.publishes = publish_path.publish_path(publish_folder, run, dataops, env)
    return result


def machine() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt-core": version("dbt-core"),
        "dbt-duckdb": version("dbt-duckdb"),
    }


def bench(
    project: Project,
    scales: Sequence[float],
    folder: Path,
    target: str = "ci",
    on_result: Callable[[ScaleResult], None] | None = None,
) -> list[ScaleResult]:
    results = []
    for scale in scales:
        result = bench_scale(project, scale, folder / f"x{scale:g}", target)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def to_json(results: Sequence[ScaleResult]) -> dict[str, object]:
    return {
        "machine": machine(),
        "scales": [
            {
                "scale": result.scale,
                "flights": result.flights,
                "steps": {name: asdict(step) for name, step in result.steps.items()},
                "full_build_over_floor": round(result.floor_ratio, 3),
                "full_build_over_facts_floor": round(result.facts_floor_ratio, 3),
                "new_day_nodes": result.new_day_nodes,
                "new_day_over_full_build": round(result.new_day_share, 4),
                "peak_gib": round(result.peak_bytes / GIB, 3),
                "landed_bytes": result.landed_bytes,
                "verify_seconds_per_gb": round(result.verify_seconds_per_gb, 3),
                "verify_hashing_seconds": result.hashing_seconds,
                "verify_hashing_seconds_per_gb": round(result.hashing_seconds_per_gb, 3),
                "publishes": {name: asdict(step) for name, step in result.publishes.items()},
                "new_day_publish_over_first": round(result.publish_share("publish_new_day"), 4),
                "resent_day_publish_over_first": round(
                    result.publish_share("publish_resent_day"), 4
                ),
                "recording_over_publish": {
                    name: round(step.recording_share, 5) for name, step in result.publishes.items()
                },
                "profiles_over_build": {
                    name: round(step.profile_share, 4) for name, step in result.publishes.items()
                },
                "slowest_models": result.slowest_models,
                "new_day_slowest_models": result.new_day_slowest_models,
            }
            for result in results
        ],
    }


def main(arguments: Sequence[str]) -> None:
    """The benchmark's child processes: the two floors and the new day's daily run."""
    project = Project.discover()
    kind, *rest = arguments
    if kind == "floor":
        target_dir, warehouse, target = rest
        run_floor(Path(target_dir), Path(warehouse), _duckdb_settings(project, target))
    elif kind == "facts-floor":
        warehouse, output, target = rest
        feeds = load_feeds(project.models_dir)
        settings = _duckdb_settings(project, target)
        log.info(
            "facts: %s",
            run_facts_floor(feeds, project.data_dir, Path(warehouse), Path(output), settings),
        )
    elif kind == "new-day":
        target, artifacts = rest
        outcome = fresher_build(project, target, BUILD_WITHOUT_TESTS, Path(artifacts))
        if not outcome.success:
            raise DataOpsError("the new day's build failed", f"read {artifacts}/logs/dbt.log")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(sys.argv[1:])
