"""The problems a team must act on, read from a target's observability history.

Each problem has a key that stays the same from one run to the next while the
problem is open, so that ``dataops.observability.alerts`` sends it once, and its resolution
once. What counts, from the latest result of each node, test and source:

- ``test_failed``: an error-severity test that failed, or any test that could
  not run (status ``error``);
- ``node_failed``: a model, snapshot or seed whose build failed;
- ``anomaly``: an anomaly test (volume, column, freshness, schema) that flagged
  a period: one problem per test, metric and period, unless the period is a known
  gap of the real data (``dataops.observability.known_gaps``);
- ``stale_source``: a source whose latest freshness check warned or errored;
- ``model_bound``: a test on the monitoring of the analysis backbone (a model
  of schema ``observability`` other than the run history) that is not passing;
- ``budget_memory``, ``budget_over``, ``budget_trend``: a run's memory, or a
  store's size or growth, past its budget (``dataops.observability.budgets``).

Warnings of tests on what a source sends (unregistered planes, weather gaps)
are the report's business, not an alert's: trusted already quarantined or
flagged those rows. Files ingest rejected and publishes that did not go
through are read by ``dataops.observability.alert_pipeline``.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.zones import relations_in
from dataops.observability import budgets, known_gaps

ANOMALY_TESTS = frozenset(
    {"volume_anomaly", "column_anomalies", "freshness_anomaly", "schema_change"}
)
# The run history the on-run-end hook writes: tests on these guard the recording itself.
RUN_HISTORY = frozenset(
    {
        "invocations",
        "node_runs",
        "test_results",
        "source_freshness",
        "row_volumes",
        "column_schemas",
        "schema_changes",
    }
)
# What the budgets of the operations raise (dataops.observability.budgets).
BUDGET_KINDS = frozenset({"budget_memory", "budget_over", "budget_trend"})
# Invocations that run every node of the project (dagster-dbt selects fqn:*): a node
# absent from a later one was removed from the project.
COMPLETE_SELECTIONS = ("", "--select fqn:*")
FAILING = ("warn", "fail", "error")


@dataclass(frozen=True)
class Problem:
    """One thing to act on; ``key`` is its identity from one run to the next."""

    key: str
    kind: str
    # what it is about ("test assert_x", "source flights.flights"): the resolution's title
    subject: str
    title: str
    severity: str
    facts: tuple[tuple[str, str], ...] = ()
    # problems of one group that open (or resolve) together are sent as one message
    group: str = ""
    # changes when an open problem changes (its severity, the tests that block a publish)
    fingerprint: str = ""
    # sent once and never kept open (a rejected file stays rejected)
    once: bool = False


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Open a warehouse read-only; a writer holding it gives a message saying so."""
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        cause = str(error).splitlines()[0]
        raise DataOpsError(
            f"cannot read {warehouse}: {cause}",
            "another process is writing it (a build, an ingest): check again once it has finished",
        ) from error


def records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "unknown"


def _hours(seconds: float | None) -> str:
    return "unknown" if seconds is None else f"{seconds / 3600:.1f} h"


def failing_rows(count: int) -> str:
    return f"{count:,} failing row" + ("" if count == 1 else "s")


def _number(value: object) -> str:
    """A measure as people read it: 867.66 rather than 867.6570169574243."""
    if not isinstance(value, float):
        return str(value)
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _name(unique_id: str | None) -> str:
    return unique_id.rsplit(".", 1)[-1] if unique_id else "-"


def _latest(table: str, filters: str) -> str:
    """The latest result (not skipped) per node of a history table, unless the node was removed.

    A node absent from a later invocation that ran the whole project (every node is
    reported there, skipped ones too) no longer exists: its old failure is not open.
    """
    return f"""
        with runs as (
            select history.*, invocations.started_at
            from observability.{table} as history
            inner join observability.invocations as invocations
                on history.invocation_id = invocations.invocation_id
        ),
        complete_runs as (
            select invocation_id, started_at from observability.invocations
            where command in ('build', 'test')
                and coalesce(selection, '') in {COMPLETE_SELECTIONS}
        ),
        ranked as (
            select *, row_number() over (
                partition by unique_id order by started_at desc
            ) as recency
            from runs where status <> 'skipped'
        )
        select * exclude (recency) from ranked
        where recency = 1 and {filters}
            and not exists (
                select 1 from complete_runs
                where complete_runs.started_at > ranked.started_at
                    and not exists (
                        select 1 from observability.{table} as later
                        where later.invocation_id = complete_runs.invocation_id
                            and later.unique_id = ranked.unique_id
                    )
            )
        order by unique_id
    """


def failing_rows_table(con: duckdb.DuckDBPyConnection, test_name: str) -> str | None:
    """The table of ``test_failures`` holding a test's failing rows, if dbt stored them.

    dbt names it after the test, or (names of 64 characters or more) after a prefix
    and the MD5 of the name.
    """
    tables = relations_in(con, "test_failures")
    if test_name in tables:
        return f"test_failures.{test_name}"
    label = "_" + hashlib.md5(test_name.encode()).hexdigest()
    matches = [table for table in tables if table.endswith(label)]
    return f"test_failures.{matches[0]}" if len(matches) == 1 else None


def rows_fact(table: str, warehouse: Path) -> tuple[str, str]:
    """Where a test's failing rows are, and the command that lists them."""
    query = shlex.quote(f"select * from {table}")
    return (
        "failing rows table",
        f"{table} in {warehouse} (dataops sql --target {shlex.quote(str(warehouse))} {query})",
    )


def _test_facts(con: duckdb.DuckDBPyConnection, row: dict, warehouse: Path) -> tuple:
    column = f".{row['column_name']}" if row["column_name"] else ""
    facts = [
        ("test", f"{row['test_name']} ({row['test_short_name']}, severity {row['severity']})"),
        ("on", _name(row["model_unique_id"]) + column),
        ("status", f"{row['status']} at {when(row['started_at'])}"),
    ]
    if row["failures"] is not None:
        facts.append(("failing rows", f"{row['failures']:,}"))
    if table := failing_rows_table(con, row["test_name"]):
        facts.append(rows_fact(table, warehouse))
    if row["message"]:
        facts.append(("message", str(row["message"]).splitlines()[0][:300]))
    return tuple(facts)


def _tests(con: duckdb.DuckDBPyConnection, warehouse: Path, monitoring: set[str]) -> list[Problem]:
    problems = []
    gaps = known_gaps.load(con)
    for row in records(con, _latest("test_results", f"status in {FAILING}")):
        tested = _name(row["model_unique_id"])
        facts = _test_facts(con, row, warehouse)
        count = "" if row["failures"] is None else f": {failing_rows(row['failures'])}"
        subject = f"test {row['test_name']}"
        if row["status"] == "error":
            title = f"{subject} could not run"
            problems.append(
                Problem(f"test:{row['unique_id']}", "test_failed", subject, title, "error", facts)
            )
        elif row["test_short_name"] in ANOMALY_TESTS:
            problems.extend(_anomalies(row, facts, gaps))
        elif tested in monitoring:
            severity = "error" if row["status"] == "fail" else "warn"
            title = f"model monitoring: {row['test_name']} on {tested}{count}"
            problems.append(
                Problem(f"bound:{row['unique_id']}", "model_bound", subject, title, severity, facts)
            )
        elif row["status"] == "fail":  # only an error-severity test fails; the others warn
            title = f"{subject} failed{count}"
            problems.append(
                Problem(f"test:{row['unique_id']}", "test_failed", subject, title, "error", facts)
            )
    return problems


def _anomalies(row: dict, facts: tuple, gaps: dict[known_gaps.GapKey, str]) -> list[Problem]:
    """One problem per flagged period of an anomaly test (a schema change: per set of changes).

    A period listed in ``gaps`` (the known gaps of the real data) is not a problem.
    """
    severity = "error" if row["status"] == "fail" else "warn"
    subject = f"{row['test_short_name']} on {_name(row['model_unique_id'])}"
    details = json.loads(row["anomaly_details"]) if row["anomaly_details"] else []
    flagged = [item for item in details if item.get("is_anomalous")]
    if not flagged:
        sample = row["failed_rows_sample"] or row["message"] or ""
        digest = hashlib.sha256(str(sample).encode()).hexdigest()[:16]
        count = "" if row["failures"] is None else f": {row['failures']:,} flagged"
        key = f"anomaly:{row['unique_id']}:{digest}"
        return [
            Problem(key, "anomaly", subject, f"{subject}{count}", severity, facts, row["unique_id"])
        ]
    problems = []
    for item in flagged:
        if known_gaps.reason(gaps, row, item):
            continue
        metric, period = item.get("metric"), item.get("period")
        lower, upper = _number(item.get("expected_lower")), _number(item.get("expected_upper"))
        band = f"expected {lower} to {upper}"
        title = f"{subject}: {metric} of {period} is {_number(item.get('actual'))} ({band})"
        key = f"anomaly:{row['unique_id']}:{metric}:{period}"
        problems.append(
            Problem(key, "anomaly", subject, title, severity, facts, group=row["unique_id"])
        )
    return problems


def _nodes(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    sql = _latest(
        "node_runs", "resource_type in ('model', 'snapshot', 'seed') and status = 'error'"
    )
    problems = []
    for row in records(con, sql):
        message = str(row["message"] or "no message").splitlines()[0][:300]
        subject = f"{row['resource_type']} {row['name']}"
        facts = (("node", row["unique_id"]), ("at", when(row["started_at"])), ("message", message))
        problems.append(
            Problem(
                f"node:{row['unique_id']}",
                "node_failed",
                subject,
                f"{subject} failed to build",
                "error",
                facts,
            )
        )
    return problems


def _freshness(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    rows = records(
        con,
        """
        select * from observability.source_freshness
        qualify row_number() over (
            partition by unique_id order by snapshotted_at desc
        ) = 1 and status in ('warn', 'error', 'runtime error')
        order by unique_id
        """,
    )
    problems = []
    for row in rows:
        severity = "warn" if row["status"] == "warn" else "error"
        source = f"{row['source_name']}.{row['table_name']}"
        thresholds = (
            f"warn after {_hours(row['warn_after_seconds'])},"
            f" error after {_hours(row['error_after_seconds'])}"
        )
        facts = (
            ("source", source),
            ("newest data", when(row["max_loaded_at"])),
            ("checked at", when(row["snapshotted_at"])),
            ("thresholds", thresholds),
            ("what to do", "check that the source still sends its files into the inbox"),
        )
        title = (
            f"source {source} is stale ({row['status']}):"
            f" newest data {_hours(row['age_seconds'])} old"
        )
        problems.append(
            Problem(
                f"stale:{row['unique_id']}",
                "stale_source",
                f"source {source}",
                title,
                severity,
                facts,
                fingerprint=severity,
            )
        )
    return problems


def history_problems(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[Problem]:
    """Every open problem of the observability history in ``con`` (the file ``warehouse``)."""
    observability = relations_in(con, "observability")
    if not {"invocations", "test_results", "node_runs"} <= observability:
        return []
    monitoring = observability - RUN_HISTORY
    problems = _tests(con, warehouse, monitoring) + _nodes(con)
    if "source_freshness" in observability:
        problems += _freshness(con)
    return problems + _budgets(con)


def _budgets(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """The memory and disk budgets passed, or met within the trend's horizon, as problems."""
    return [
        Problem(item.key, item.kind, item.subject, item.title, item.severity, item.facts)
        for item in budgets.findings(con)
    ]
