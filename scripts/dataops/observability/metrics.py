"""The current figures of a target in Prometheus' text format (``dataops metrics``).

Read from the warehouse (read-only) at each collection: the run history
(``observability.invocations``, ``test_results``, ``row_volumes``), the ingestion
log, the operations' records (``run_resources``, ``zone_sizes``) and the model
monitoring (``model_daily_performance``). Written to a file for node_exporter's
textfile collector (atomically), or served by prometheus_client on 127.0.0.1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector

from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.core.zones import relations_in
from dataops.observability.alert_problems import ANOMALY_TESTS, connect

log = logging.getLogger(__name__)

PREFIX = "dataops"
LOOPBACK = "127.0.0.1"
# Every family ``collect`` yields, with its help text: a family with no sample stays listed.
FAMILIES = {
    "up": "1 when the warehouse could be read at this collection, else 0",
    "source_last_success_timestamp_seconds": "when a file of the source last landed",
    "target_last_success_timestamp_seconds": "when a dbt build or test last ended without error",
    "zone_rows": "rows of the zone's relations, as the latest build of each counted them",
    "failing_tests": "tests failing or erroring in their latest run, by severity",
    "anomalies": "anomaly tests flagging a period in their latest run",
    "run_seconds": "wall time of the latest run of the command",
    "run_cpu_seconds": "CPU time of the latest run of the command (process tree)",
    "run_peak_memory_bytes": "peak memory of the latest run of the command, rss or duckdb",
    "spill_bytes": "peak bytes in DuckDB's temporary folder during the latest run of the command",
    "zone_bytes": "bytes of the warehouse file the zone's tables take (storage blocks)",
    "warehouse_bytes": "size of the warehouse file",
    "landing_bytes": "size of the landing folder",
    "landing_files": "files in the landing folder",
    "champion_accuracy": "the champion's accuracy on the latest day scored with known outcomes",
    "champion_roc_auc": "the champion's ROC AUC on the latest day scored with known outcomes",
}


def _zone(relation: str) -> str:
    """``"dev"."marts"."fct_flights"`` -> ``marts``."""
    parts = [part.strip('"') for part in re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', relation)]
    return parts[-2] if len(parts) >= 2 else "unknown"


def _families(target: str) -> dict[str, GaugeMetricFamily]:
    labels = {
        "source_last_success_timestamp_seconds": ["target", "source"],
        "zone_rows": ["target", "zone"],
        "failing_tests": ["target", "severity"],
        "run_seconds": ["target", "command"],
        "run_cpu_seconds": ["target", "command"],
        "run_peak_memory_bytes": ["target", "command", "kind"],
        "spill_bytes": ["target", "command"],
        "zone_bytes": ["target", "zone"],
        "champion_accuracy": ["target", "model", "version"],
        "champion_roc_auc": ["target", "model", "version"],
    }
    return {
        name: GaugeMetricFamily(f"{PREFIX}_{name}", text, labels=labels.get(name, ["target"]))
        for name, text in FAMILIES.items()
    }


def _read(con: duckdb.DuckDBPyConnection, target: str, out: dict[str, GaugeMetricFamily]) -> None:
    observability = relations_in(con, "observability")
    if "ingested_files" in relations_in(con, "landing"):
        for source, epoch in con.execute(
            "select source, epoch(max(received_at)) from landing.ingested_files"
            " where status = 'landed' group by source order by source"
        ).fetchall():
            out["source_last_success_timestamp_seconds"].add_metric([target, source], epoch)
    if "invocations" in observability:
        ended = con.execute(
            "select epoch(max(ended_at)) from observability.invocations"
            " where command in ('build', 'test') and status in ('success', 'warn')"
        ).fetchall()[0][0]
        if ended is not None:
            out["target_last_success_timestamp_seconds"].add_metric([target], ended)
    if "row_volumes" in observability:
        _zone_rows(con, target, out)
    if "test_results" in observability:
        _tests(con, target, out)
    if "run_resources" in observability:
        _resources(con, target, out)
    if "model_daily_performance" in observability:
        _champion(con, target, out)


def _zone_rows(con: duckdb.DuckDBPyConnection, target: str, out: dict) -> None:
    latest = con.execute(
        "select relation_name, row_count from observability.row_volumes"
        " qualify row_number() over (partition by unique_id order by measured_at desc) = 1"
    ).fetchall()
    rows: dict[str, int] = {}
    for relation, count in latest:
        rows[_zone(relation)] = rows.get(_zone(relation), 0) + int(count or 0)
    for zone in sorted(rows):
        out["zone_rows"].add_metric([target, zone], rows[zone])


def _tests(con: duckdb.DuckDBPyConnection, target: str, out: dict) -> None:
    latest = con.execute(
        "select results.test_short_name, results.status"
        " from observability.test_results as results"
        " inner join observability.invocations using (invocation_id)"
        " where results.status <> 'skipped'"
        " qualify row_number() over ("
        " partition by results.unique_id order by invocations.started_at desc) = 1"
    ).fetchall()
    failing = {"error": 0, "warn": 0}  # a failing error-severity test, a warning one
    anomalies = 0
    for short_name, status in latest:
        if short_name in ANOMALY_TESTS and status != "pass":
            anomalies += 1
        elif status in ("fail", "error", "warn"):
            key = "error" if status in ("fail", "error") else "warn"
            failing[key] += 1
    for severity_name, count in sorted(failing.items()):
        out["failing_tests"].add_metric([target, severity_name], count)
    out["anomalies"].add_metric([target], anomalies)


def _resources(con: duckdb.DuckDBPyConnection, target: str, out: dict) -> None:
    runs = con.execute(
        "select command, wall_seconds, cpu_seconds, peak_rss_bytes, peak_duckdb_memory_bytes,"
        " peak_spill_bytes from observability.run_resources"
        " qualify row_number() over (partition by command order by ended_at desc) = 1"
        " order by command"
    ).fetchall()
    for command, wall, cpu, rss, duckdb_peak, spill in runs:
        out["run_seconds"].add_metric([target, command], wall)
        out["run_cpu_seconds"].add_metric([target, command], cpu)
        out["run_peak_memory_bytes"].add_metric([target, command, "rss"], rss)
        if duckdb_peak is not None:
            out["run_peak_memory_bytes"].add_metric([target, command, "duckdb"], duckdb_peak)
        out["spill_bytes"].add_metric([target, command], spill or 0)
    latest = con.execute(
        "select warehouse_bytes, landing_bytes, landing_files"
        " from observability.run_resources order by ended_at desc limit 1"
    ).fetchall()
    if not latest:
        return
    warehouse, landing, files = latest[0]
    if warehouse is not None:
        out["warehouse_bytes"].add_metric([target], warehouse)
    out["landing_bytes"].add_metric([target], landing)
    out["landing_files"].add_metric([target], files)
    if "zone_sizes" in relations_in(con, "observability"):
        for zone, size in con.execute(
            "select zone, bytes from observability.zone_sizes where run_id = ("
            " select zone_sizes.run_id from observability.zone_sizes"
            " order by recorded_at desc limit 1) order by zone"
        ).fetchall():
            out["zone_bytes"].add_metric([target, zone], size)


def _champion(con: duckdb.DuckDBPyConnection, target: str, out: dict) -> None:
    latest = con.execute(
        "select model_name, model_version, accuracy, roc_auc"
        " from observability.model_daily_performance"
        " order by recorded_at desc, flight_date desc limit 1"
    ).fetchall()
    for model, version, accuracy, roc_auc in latest:
        labels = [target, str(model), str(version)]
        if accuracy is not None:
            out["champion_accuracy"].add_metric(labels, accuracy)
        if roc_auc is not None:
            out["champion_roc_auc"].add_metric(labels, roc_auc)


class WarehouseCollector(Collector):
    """Reads a target's warehouse at every collection (a scrape, or the text file's writing)."""

    def __init__(self, warehouse: Path, target: str, strict: bool = True):
        self.warehouse = warehouse
        self.target = target
        # strict: a warehouse that cannot be read raises; else it gives dataops_up 0
        self.strict = strict

    def collect(self) -> Iterator[Metric]:
        out = _families(self.target)
        try:
            con = connect(self.warehouse)
        except DataOpsError as error:
            if self.strict:
                raise
            log.warning("%s", error.reason)
            out["up"].add_metric([self.target], 0)
            yield from out.values()
            return
        try:
            _read(con, self.target, out)
        finally:
            con.close()
        out["up"].add_metric([self.target], 1)
        yield from out.values()


def registry_of(warehouse: Path, target: str, strict: bool = True) -> CollectorRegistry:
    if not warehouse.exists():
        raise DataOpsError(f"no warehouse at {warehouse}", f"build target {target} first")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WarehouseCollector(warehouse, target, strict))
    return registry


def text(warehouse: Path, target: str) -> str:
    """The figures of ``target`` as Prometheus text."""
    return generate_latest(registry_of(warehouse, target)).decode("utf-8")


def write(warehouse: Path, target: str, output: Path) -> str:
    """Write the figures to ``output`` atomically (a textfile collector never reads half)."""
    content = text(warehouse, target)
    write_atomic(output, content.encode("utf-8"))
    return content


def serve(warehouse: Path, target: str, port: int) -> tuple[object, object]:
    """Serve the figures on 127.0.0.1:``port``; the server and its thread."""
    registry = registry_of(warehouse, target, strict=False)
    try:
        return start_http_server(port, addr=LOOPBACK, registry=registry)
    except OSError as error:
        raise DataOpsError(
            f"cannot serve on {LOOPBACK}:{port}: {error.strerror or error}",
            "choose another port with --port",
        ) from error
