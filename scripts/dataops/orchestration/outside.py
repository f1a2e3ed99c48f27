"""Builds made outside Dagster, reported to it: the asset graph shows the warehouse's state.

``make demo``, ``dataops build`` or ``dataops publish`` run from cron build the
orchestration's target without Dagster, which would show every asset "Not
Evaluated". Every dbt invocation leaves its node runs in the warehouse's
``observability`` history (the on-run-end hook); the sensor ``builds_outside_dagster``
reads the ones newer than its cursor and reports, for each node, its latest run: a
model, snapshot or seed built as a materialization, a test as its asset check's
evaluation. What Dagster materialized itself since is not reported again.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of
# the functions it runs (contexts, configs) at definition time.
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster_dbt.asset_utils import get_asset_check_key_for_test

from dataops.orchestration.assets import TRANSLATOR
from dataops.orchestration.manifest import load_manifest
from dataops.orchestration.settings import Settings

log = logging.getLogger(__name__)

SENSOR_NAME = "builds_outside_dagster"
SENSOR_SECONDS = 60
BUILT = ("model", "snapshot", "seed")
# The latest run of each node in the invocations recorded after the cursor.
LATEST_RUNS = """
select
    runs.unique_id,
    runs.resource_type,
    runs.status,
    runs.duration_seconds,
    runs.rows_affected,
    runs.message,
    runs.invocation_id,
    invocations.target_name,
    invocations.command,
    invocations.ended_at
from observability.node_runs as runs
inner join observability.invocations as invocations
    on runs.invocation_id = invocations.invocation_id
where invocations.ended_at > ?
qualify row_number() over (
    partition by runs.unique_id order by invocations.ended_at desc
) = 1
"""


@dataclass(frozen=True)
class NodeRun:
    """The latest run of a dbt node in the history, and the invocation it was part of."""

    unique_id: str
    resource_type: str
    status: str
    duration_seconds: float | None
    rows_affected: int | None
    message: str | None
    invocation_id: str
    target_name: str
    command: str
    ended_at: datetime

    @property
    def timestamp(self) -> float:
        return self.ended_at.replace(tzinfo=UTC).timestamp()


def latest_runs(warehouse: Path, since: datetime) -> list[NodeRun]:
    """The latest run of each node in the invocations that ended after ``since`` (UTC)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(LATEST_RUNS, [since.replace(tzinfo=None)]).fetchall()
    return [NodeRun(*row) for row in rows]


def _metadata(run: NodeRun) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "target": run.target_name,
        "dbt command": run.command,
        "invocation_id": run.invocation_id,
        "unique_id": run.unique_id,
        "status": run.status,
    }
    if run.duration_seconds is not None:
        metadata["execution time (s)"] = round(float(run.duration_seconds), 3)
    if run.rows_affected is not None:
        metadata["rows affected"] = int(run.rows_affected)
    return metadata


def events_of(
    runs: list[NodeRun],
    manifest: Mapping[str, Any],
    known: tuple[set[AssetKey], set[AssetCheckKey]],
    materialized: Mapping[AssetKey, float],
) -> list[AssetMaterialization | AssetCheckEvaluation]:
    """The events of the runs, for the assets and checks defined, newer than Dagster's own.

    ``materialized``: when Dagster last materialized each asset (a POSIX time); a run that
    ended before it is already on the graph.
    """
    known_assets, known_checks = known
    events: list[AssetMaterialization | AssetCheckEvaluation] = []
    for run in sorted(runs, key=lambda found: (found.ended_at, found.unique_id)):
        node = manifest["nodes"].get(run.unique_id)
        if node is None:
            continue
        if run.resource_type in BUILT and run.status == "success":
            key = TRANSLATOR.get_asset_key(node)
            if key in known_assets and run.timestamp > materialized.get(key, 0.0):
                events.append(
                    AssetMaterialization(
                        asset_key=key,
                        metadata=_metadata(run),
                        description=f"built outside Dagster (dbt {run.command})",
                    )
                )
        elif run.resource_type == "test" and run.status in ("pass", "warn", "fail", "error"):
            check = get_asset_check_key_for_test(manifest, TRANSLATOR, run.unique_id, None)
            if check is None or check not in known_checks:
                continue
            if run.timestamp <= materialized.get(check.asset_key, 0.0):
                continue
            events.append(
                AssetCheckEvaluation(
                    asset_key=check.asset_key,
                    check_name=check.name,
                    passed=run.status == "pass",
                    severity=(
                        AssetCheckSeverity.WARN
                        if run.status == "warn"
                        else AssetCheckSeverity.ERROR
                    ),
                    metadata={**_metadata(run), "message": run.message or ""},
                )
            )
    return events


def outside_sensor(
    settings: Settings,
    manifest_path: Path,
    known: tuple[set[AssetKey], set[AssetCheckKey]],
) -> SensorDefinition:
    warehouse = settings.project.warehouse_path(settings.target)

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=SENSOR_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"dbt builds of {settings.target} made outside Dagster (make demo, dataops"
        " build or publish from cron) reported on the asset graph, from the warehouse's"
        " observability history: each node's latest run, each test as its check.",
    )
    def builds_outside_dagster(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        if not warehouse.exists():
            return SkipReason(f"no warehouse yet: {warehouse}")
        since = (
            datetime.fromisoformat(context.cursor)
            if context.cursor
            else datetime(1970, 1, 1, tzinfo=UTC)
        )
        try:
            runs = latest_runs(warehouse, since)
        except duckdb.Error as error:  # being written (a build holds it), or no history yet
            return SkipReason(f"{warehouse} not read now: {str(error).splitlines()[0]}")
        if not runs:
            return SkipReason(f"no dbt invocation on {warehouse.name} since {since.isoformat()}")
        latest = context.instance.get_latest_materialization_events(known[0])
        materialized = {key: entry.timestamp for key, entry in latest.items() if entry}
        events = events_of(runs, load_manifest(manifest_path), known, materialized)
        cursor = max(run.ended_at for run in runs).replace(tzinfo=UTC).isoformat()
        log.info("%d events of builds outside Dagster reported", len(events))
        return SensorResult(asset_events=events, cursor=cursor)

    return builds_outside_dagster
