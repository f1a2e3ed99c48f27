"""Budgets of memory and disk, and the runs that pass them or are heading there.

The budgets are vars of ``dbt_project.yml`` (``operations_*``); every run records
the budgets in force beside its figures (``observability.run_resources``), so a
check reads the warehouse alone. Three findings, each open while it holds:

- ``memory``: the latest run that measured DuckDB's memory peaked above
  ``operations_memory_alert_share`` (0.8) of DuckDB's memory limit;
- ``over``: the warehouse file (or the landing folder) is larger than its budget;
- ``trend``: a least-squares line through the store's size over its recorded
  history reaches the budget within ``TREND_HORIZON_DAYS`` (30): the finding
  says on which date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from dataops.core.project import Project
from dataops.core.zones import has_relation
from dataops.ml.settings import project_vars

GB = 1000**3
DEFAULTS = {
    "operations_memory_alert_share": 0.8,
    "operations_warehouse_budget_gb": 20.0,
    "operations_landing_budget_gb": 20.0,
}
# A growth trend alerts when its line meets the budget within this many days.
TREND_HORIZON_DAYS = 30
# ...and only from runs that span this long: a line through runs minutes apart (a catch-up,
# a test) says nothing of the month ahead
TREND_MIN_SPAN = timedelta(days=1)
# store -> (its column of observability.run_resources, its budget's column, what it is)
STORES = {
    "warehouse": ("warehouse_bytes", "warehouse_budget_bytes", "the warehouse file"),
    "landing": ("landing_bytes", "landing_budget_bytes", "the landing folder"),
}


@dataclass(frozen=True)
class Budgets:
    memory_alert_share: float
    warehouse_bytes: int
    landing_bytes: int

    @classmethod
    def of(cls, project: Project) -> Budgets:
        values = {**DEFAULTS, **project_vars(project.root)}
        return cls(
            memory_alert_share=float(values["operations_memory_alert_share"]),
            warehouse_bytes=int(float(values["operations_warehouse_budget_gb"]) * GB),
            landing_bytes=int(float(values["operations_landing_budget_gb"]) * GB),
        )


@dataclass(frozen=True)
class Finding:
    """A budget passed or about to be: ``key`` stays the same while it holds."""

    key: str
    kind: str
    subject: str
    title: str
    severity: str
    facts: tuple[tuple[str, str], ...]


def megabytes(value: float | None) -> str:
    return "unknown" if value is None else f"{value / 1e6:,.1f} MB"


def trend(points: list[tuple[datetime, float]]) -> tuple[float, float] | None:
    """Least-squares slope (bytes per day) and intercept (at the first point) of a history."""
    if len(points) < 2:
        return None
    start = points[0][0]
    xs = [(when - start).total_seconds() / 86400 for when, _value in points]
    ys = [value for _when, value in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x


def reaches_budget(
    points: list[tuple[datetime, float]], budget: float
) -> tuple[datetime, float] | None:
    """When the fitted line of ``points`` meets ``budget``, and its slope; None if it never does."""
    fitted = trend(points)
    if fitted is None or fitted[0] <= 0:
        return None
    slope, intercept = fitted
    days = (budget - intercept) / slope
    return points[0][0] + timedelta(days=days), slope


def _memory(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    rows = con.execute(
        "select target, command, run_id, peak_duckdb_memory_bytes, duckdb_memory_limit_bytes,"
        " memory_alert_share, ended_at from observability.run_resources"
        " where peak_duckdb_memory_bytes is not null and duckdb_memory_limit_bytes > 0"
        " qualify row_number() over (partition by target order by ended_at desc) = 1"
    ).fetchall()
    findings = []
    for target, command, run_id, peak, limit, share, ended in rows:
        if peak <= (share or DEFAULTS["operations_memory_alert_share"]) * limit:
            continue
        title = (
            f"memory: {command} on {target} peaked at {megabytes(peak)},"
            f" {peak / limit:.0%} of DuckDB's memory limit {megabytes(limit)}"
        )
        facts = (
            ("run", f"{run_id} ({command}, ended {ended:%Y-%m-%d %H:%M:%S} UTC)"),
            ("alert above", f"{share:.0%} of the memory limit (operations_memory_alert_share)"),
            (
                "what to do",
                "raise DATAOPS_DUCKDB_MEMORY_LIMIT where the machine has room, or build"
                " fewer days at once",
            ),
        )
        findings.append(
            Finding(f"budget:memory:{target}", "budget_memory", f"memory of {target}",
                    title, "warn", facts)
        )  # fmt: skip
    return findings


def _stores(con: duckdb.DuckDBPyConnection, now: datetime, horizon_days: int) -> list[Finding]:
    findings = []
    for store, (column, budget_column, label) in STORES.items():
        rows = con.execute(
            f"select target, ended_at, {column}, {budget_column}"
            f" from observability.run_resources where {column} is not null order by ended_at"
        ).fetchall()
        for target in sorted({row[0] for row in rows}):
            history = [row for row in rows if row[0] == target]
            _t, ended, size, budget = history[-1]
            if not budget:
                continue
            subject = f"{store} of {target}"
            facts = (
                ("size", f"{megabytes(size)} at {ended:%Y-%m-%d %H:%M:%S} UTC"),
                ("budget", f"{megabytes(budget)} (operations_{store}_budget_gb)"),
            )
            if size > budget:
                title = f"{label} of {target} is {megabytes(size)}, over its budget"
                findings.append(
                    Finding(f"budget:{store}:{target}", "budget_over", subject, title,
                            "error", facts)
                )  # fmt: skip
                continue
            if history[-1][1] - history[0][1] < TREND_MIN_SPAN:
                continue
            met = reaches_budget([(row[1], float(row[2])) for row in history], budget)
            if met is None or met[0] > now + timedelta(days=horizon_days):
                continue
            title = (
                f"{label} of {target} grows {megabytes(met[1])} a day:"
                f" at this rate it reaches its budget on {met[0]:%Y-%m-%d}"
            )
            facts += (("trend", f"least squares over {len(history)} recorded runs"),)
            findings.append(
                Finding(f"budget_trend:{store}:{target}", "budget_trend", subject, title,
                        "warn", facts)
            )  # fmt: skip
    return findings


def findings(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> list[Finding]:
    """Every budget finding of the run resources recorded in ``con`` (none recorded: none)."""
    if not has_relation(con, "observability.run_resources"):
        return []
    latest = con.execute("select max(ended_at) from observability.run_resources").fetchall()[0][0]
    return _memory(con) + _stores(con, now or latest or datetime.now(), TREND_HORIZON_DAYS)
