"""The report's Operations page: what every run cost in memory and disk, and where it goes.

Read from ``observability.run_resources`` and ``zone_sizes`` (written by
``dataops.observability.resources``) and, for the slowest steps, from the run
history (``observability.node_runs``: each node's seconds and rows in its
latest run). A warehouse with no operations record gives empty lists.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from dataops.core.zones import relations_in
from dataops.observability import budgets

# The slowest steps listed: nodes of the latest run of each, by seconds.
SLOWEST = 15
RUN_FIELDS = (
    "run_id",
    "command",
    "target",
    "status",
    "wall_seconds",
    "cpu_seconds",
    "peak_rss_bytes",
    "peak_duckdb_memory_bytes",
    "duckdb_memory_limit_bytes",
    "peak_spill_bytes",
    "warehouse_bytes",
    "landing_bytes",
    "landing_files",
    "memory_alert_share",
    "warehouse_budget_bytes",
    "landing_budget_bytes",
    "ended_at",
)


def _iso(value: object) -> object:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else value


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict]:
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [
        {name: _iso(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def _trends(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Each store's growth (least squares over its history) and when it meets its budget."""
    out = []
    for store, (column, budget_column, label) in budgets.STORES.items():
        rows = con.execute(
            f"select target, ended_at, {column}, {budget_column}"
            f" from observability.run_resources where {column} is not null order by ended_at"
        ).fetchall()
        for target in sorted({row[0] for row in rows}):
            history = [row for row in rows if row[0] == target]
            points = [(row[1], float(row[2])) for row in history]
            fitted = budgets.trend(points)
            budget = history[-1][3]
            met = budgets.reaches_budget(points, budget) if budget else None
            out.append(
                {
                    "store": store,
                    "label": label,
                    "target": target,
                    "size_bytes": history[-1][2],
                    "budget_bytes": budget,
                    "bytes_per_day": fitted[0] if fitted else None,
                    "meets_budget_on": f"{met[0]:%Y-%m-%d}" if met else None,
                    "runs": len(history),
                }
            )
    return out


def collect(con: duckdb.DuckDBPyConnection, _warehouse: Path) -> dict:
    """Runs, zone sizes over time, growth trends and the slowest steps of the warehouse."""
    observability = relations_in(con, "observability")
    payload: dict = {"runs": [], "zones": [], "trends": [], "slowest": []}
    if "run_resources" in observability:
        payload["runs"] = _rows(
            con,
            f"select {', '.join(RUN_FIELDS)} from observability.run_resources order by ended_at",
        )
        payload["trends"] = _trends(con)
    if "zone_sizes" in observability:
        payload["zones"] = _rows(
            con,
            "select zone, recorded_at, bytes, row_count, table_count, share_of_used"
            " from observability.zone_sizes order by recorded_at, zone",
        )
    if "node_runs" in observability:
        payload["slowest"] = _rows(
            con,
            "select name, resource_type, schema_name, status, duration_seconds, rows_affected,"
            " started_at from observability.node_runs"
            " qualify row_number() over (partition by unique_id order by started_at desc) = 1"
            f" order by duration_seconds desc nulls last limit {SLOWEST}",
        )
    return payload
