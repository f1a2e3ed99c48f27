"""The benchmark of the path prod takes: ``dataops publish``, first, one new day, one re-sent day.

At each scale, beside the daily build on the ``ci`` target, the same generated
files go through write-audit-publish into a prod of its own (the folder
``publish/`` of the scale's folder, its inbox hard-linked from the generated one,
so nothing is generated twice):

1. ``publish_first``: every file but the held-back last day, into an empty prod;
2. ``publish_new_day``: the held-back day's flights and weather files;
3. ``publish_resent_day``: the same day's flights file sent again, corrected (one
   flight's arrival delay changed by a minute), as a source re-sends a day.

Each is a child process: its wall time, the peak RSS of its process tree, the
peak extra disk of the warehouse folder beside prod (the candidate, the kept
previous prod, the artifacts; sampled), and the phases the publish record
(``publish.json``) keeps. A day's publish is reported as a share of the first
publish: the cost of a day against the cost of the history. What recording the
publish's resources cost (its sampler's CPU and measuring the stores for the
record, as ``observability.run_resources`` in prod keeps them) is reported as a
share of the publish's wall time; what profiling its relations cost
(``observability.profile_runs``) as a share of its build phase.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.zones import has_relation

PUBLISH_STEPS = ("publish_first", "publish_new_day", "publish_resent_day")
# the column a corrected day changes, and by how much (minutes)
CORRECTED_COLUMN = "arr_delay"


@dataclass
class PublishStep:
    """One publish: wall time, peak RSS of its tree, peak extra disk, its phases."""

    name: str
    seconds: float
    peak_bytes: int
    peak_extra_disk_bytes: int
    prod_bytes_before: int
    prod_bytes_after: int
    phases: dict[str, float] = field(default_factory=dict)
    nodes: int = 0
    # what recording the publish's resources cost: its sampler's CPU and writing the record
    recording_seconds: float = 0.0
    # what profiling its relations cost (observability.profile_runs of its build)
    profile_seconds: float = 0.0

    @property
    def profile_share(self) -> float:
        """The profiles' seconds as a share of the build phase (dbt's build, hooks included)."""
        build = self.phases.get("build", 0.0)
        return self.profile_seconds / build if build else 0.0

    @property
    def recording_share(self) -> float:
        """The recording's cost as a share of the publish's wall time."""
        return self.recording_seconds / self.seconds if self.seconds else 0.0

    @property
    def extra_disk_share(self) -> float:
        """Peak extra disk as a share of prod's size (before the publish, or after the first)."""
        base = self.prod_bytes_before or self.prod_bytes_after
        return self.peak_extra_disk_bytes / base if base else 0.0


def folder_bytes(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (each inode once: hard links count once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                status = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue  # renamed or removed while walking
            key = (status.st_dev, status.st_ino)
            if key not in seen:
                seen.add(key)
                total += status.st_size
    return total


def link_tree(source: Path, target: Path) -> int:
    """Hard-link every file of ``source`` under ``target`` (ingest moves, never changes, them)."""
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)
            count += 1
    return count


def corrected_copy(flights_file: Path, target: Path) -> int:
    """Write ``flights_file`` again into ``target``, its first flight's arrival delay + 1 minute.

    Returns the row number corrected (1-based, first data row with a delay).
    """
    with flights_file.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        fields = reader.fieldnames or []
        rows = list(reader)
    if CORRECTED_COLUMN not in fields:
        raise DataOpsError(
            f"{flights_file} has no {CORRECTED_COLUMN} column to correct",
            "the benchmark expects the feed's flights CSV format",
        )
    number = next(
        (n for n, row in enumerate(rows, start=1) if row[CORRECTED_COLUMN] not in ("", "NA")),
        None,
    )
    if number is None:
        raise DataOpsError(
            f"{flights_file} has no flight with an arrival delay to correct",
            "hold back a day with flights that arrived",
        )
    row = rows[number - 1]
    row[CORRECTED_COLUMN] = str(int(float(row[CORRECTED_COLUMN])) + 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, target)
    return number


def _record(warehouse_dir: Path) -> dict:
    path = warehouse_dir / "prod-artifacts" / "publish.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _nodes(warehouse_dir: Path) -> int:
    path = warehouse_dir / "prod-artifacts" / "run_results.json"
    if not path.is_file():
        return 0
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return sum(r["unique_id"].split(".")[0] in ("model", "snapshot", "seed") for r in results)


def _recording_seconds(warehouse_dir: Path) -> float:
    """Sampler CPU plus writing seconds of the last publish prod records (0: not recorded)."""
    prod = warehouse_dir / "prod.duckdb"
    with duckdb.connect(str(prod), read_only=True) as con:
        found = con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'observability'"
            " and table_name = 'run_resources' and column_name = 'writing_seconds'"
        ).fetchall()[0][0]
        if not found:
            return 0.0
        rows = con.execute(
            "select sampling_cpu_seconds + writing_seconds from observability.run_resources"
            " where command = 'publish' and status = 'success' order by ended_at desc limit 1"
        ).fetchall()
    return float(rows[0][0] or 0.0) if rows else 0.0


def _profile_seconds(warehouse_dir: Path) -> float:
    """Seconds the profiles of prod's last profiled invocation took (0: none recorded)."""
    prod = warehouse_dir / "prod.duckdb"
    with duckdb.connect(str(prod), read_only=True) as con:
        if not has_relation(con, "observability.profile_runs"):
            return 0.0
        rows = con.execute(
            "select sum(profile_seconds) from observability.profile_runs"
            " where invocation_id = (select arg_max(invocation_id, started_at)"
            " from observability.profile_runs)"
        ).fetchall()
    return float(rows[0][0] or 0.0) if rows else 0.0


def prepare(folder: Path, generated_inbox: Path, held: Path) -> None:
    """The publish path's own inbox and held-back day, hard links of the generated files."""
    link_tree(generated_inbox, folder / "data" / "inbox")
    link_tree(held, folder / "held")


def publish_path(
    folder: Path,
    run: Callable[[str, Sequence[str], dict[str, str], Path], tuple[float, int, int]],
    dataops: Sequence[str],
    env: dict[str, str],
) -> dict[str, PublishStep]:
    """The three publishes in ``folder`` (after ``prepare``); ``run`` times one child.

    ``run(name, command, env, disk)`` returns (seconds, peak RSS bytes of the process
    tree, peak bytes of the folder ``disk`` over its size at the start) and raises
    when the command fails.
    """
    data, warehouse_dir, held = folder / "data", folder / "warehouse", folder / "held"
    env = {**env, "DATAOPS_DATA_DIR": str(data), "DATAOPS_WAREHOUSE_DIR": str(warehouse_dir)}
    env.pop("DBT_TARGET", None)
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    prod = warehouse_dir / "prod.duckdb"
    steps: dict[str, PublishStep] = {}

    def publish(name: str) -> None:
        before = prod.stat().st_size if prod.exists() else 0
        seconds, peak, extra = run(name, [*dataops, "publish"], env, warehouse_dir)
        record = _record(warehouse_dir)
        steps[name] = PublishStep(
            name,
            seconds,
            peak,
            extra,
            before,
            prod.stat().st_size,
            {key: float(value) for key, value in (record.get("phases") or {}).items()},
            _nodes(warehouse_dir),
            _recording_seconds(warehouse_dir),
            _profile_seconds(warehouse_dir),
        )

    publish("publish_first")
    for path in sorted(held.rglob("*")):
        if path.is_file():
            os.link(path, data / "inbox" / path.relative_to(held))
    publish("publish_new_day")
    held_flights = sorted((held / "flights").iterdir())[-1]
    corrected_copy(held_flights, data / "inbox" / "flights" / held_flights.name)
    publish("publish_resent_day")
    return steps
