"""The report's Activity page: who did what to each target, and the team's figures per week.

Everything comes from the activity log (``activity``: one file for every target)
and, for the time from a file's arrival to prod, from prod's ingestion log
(``landing.ingested_files``: when each file was received). Per week (Monday):

- publishes of prod, and the share of them refused (a blocked audit, a lock);
- arrival to prod: from a file's ``received_at`` to the end of the first publish
  that went through after it (a file of a refused publish is carried over to the
  next one; files received before the first recorded publish are left out);
- alert to resolution: from a problem's ``opened_at`` (the alert state) to the
  ``dataops alert`` run that sent its resolution;
- commit to publish: from a commit's time to the end of its first publish.

Durations are medians in hours, with the number of cases they are over.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dataops.delivery.publish import PROD
from dataops.ingest.ingestion_log import LANDED, LOG_TABLE
from dataops.observability import activity

log = logging.getLogger(__name__)

# The newest runs the page lists (the figures use every run).
RUNS_SHOWN = 500
PUBLISH = "publish"


def parse_time(value: object) -> datetime | None:
    """An ISO time of the log (or a naive UTC timestamp of DuckDB) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def week_of(moment: datetime) -> str:
    """The Monday (UTC) of the week a moment falls in, as YYYY-MM-DD."""
    day = moment.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def prod_publishes(runs: Iterable[dict]) -> list[dict]:
    """The finished publishes of prod, oldest first."""
    found = [
        run
        for run in runs
        if run.get("command") == PUBLISH
        and run.get("target") == PROD
        and run.get("outcome") in (activity.OK, activity.REFUSED, activity.FAILED)
        and parse_time(run.get("ended_at"))
    ]
    return sorted(found, key=lambda run: str(run.get("ended_at")))


def arrival_lags(
    received: Iterable[datetime], publishes: Sequence[dict]
) -> list[tuple[str, float]]:
    """(week of the publish, hours) from each file's arrival to the first publish after it."""
    done = [parse_time(run["ended_at"]) for run in publishes if run.get("outcome") == activity.OK]
    ends = sorted(moment for moment in done if moment is not None)
    starts = [parse_time(run.get("started_at")) for run in publishes]
    first = min((moment for moment in starts if moment is not None), default=None)
    lags = []
    for moment in received:
        if first is None or moment < first:
            continue
        carried = next((end for end in ends if end >= moment), None)
        if carried is not None:
            lags.append((week_of(carried), _hours(moment, carried)))
    return lags


def commit_lags(publishes: Sequence[dict]) -> list[tuple[str, float]]:
    """(week, hours) from each commit to the end of its first publish that went through."""
    seen: set[str] = set()
    lags = []
    for run in publishes:
        commit = run.get("commit")
        committed = parse_time(run.get("commit_at"))
        ended = parse_time(run.get("ended_at"))
        if run.get("outcome") != activity.OK or not committed or not ended or commit in seen:
            continue
        seen.add(str(commit))
        lags.append((week_of(ended), max(0.0, _hours(committed, ended))))
    return lags


def resolution_lags(runs: Iterable[dict]) -> list[tuple[str, float]]:
    """(week, hours) from a problem's opening to the alert run that resolved it."""
    lags = []
    for run in runs:
        ended = parse_time(run.get("ended_at"))
        if run.get("command") != "alert" or ended is None:
            continue
        for problem in (run.get("details") or {}).get("resolved", []):
            opened = parse_time(problem.get("opened_at"))
            if opened is not None:
                lags.append((week_of(ended), max(0.0, _hours(opened, ended))))
    return lags


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def weekly(runs: Sequence[dict], received: Iterable[datetime]) -> list[dict]:
    """The team's figures per week, newest week first."""
    publishes = prod_publishes(runs)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for run in publishes:
        week = week_of(parse_time(run["ended_at"]))  # type: ignore[arg-type]
        counts[week][0] += 1
        counts[week][1] += run.get("outcome") != activity.OK
    series = {
        "arrival_to_prod": arrival_lags(received, publishes),
        "alert_to_resolution": resolution_lags(runs),
        "commit_to_publish": commit_lags(publishes),
    }
    weeks = set(counts) | {week for lags in series.values() for week, _ in lags}
    rows = []
    for week in sorted(weeks, reverse=True):
        total, refused = counts.get(week, [0, 0])
        row: dict = {
            "week": week,
            "publishes": total,
            "refused": refused,
            "refused_share": round(refused / total, 3) if total else None,
        }
        for name, lags in series.items():
            hours = [value for at, value in lags if at == week]
            row[f"{name}_hours"] = _median(hours)
            row[f"{name}_cases"] = len(hours)
        rows.append(row)
    return rows


def warehouse_dir_of(warehouse: Path) -> Path:
    """The warehouse folder of a target's file (a sandbox's is one folder down)."""
    for folder in (warehouse.parent, warehouse.parent.parent):
        if activity.log_path(folder).exists():
            return folder
    return warehouse.parent


def received_times(con: duckdb.DuckDBPyConnection, warehouse: Path, folder: Path) -> list[datetime]:
    """When each file now in prod was received (prod's ingestion log); none without a prod."""
    prod = folder / f"{PROD}.duckdb"
    sql = f"select received_at from {LOG_TABLE} where status = '{LANDED}'"
    try:
        if warehouse.resolve() == prod.resolve():
            rows = con.execute(sql).fetchall()
        elif prod.exists():
            other = duckdb.connect(str(prod), read_only=True)
            try:
                rows = other.execute(sql).fetchall()
            finally:
                other.close()
        else:
            return []
    except duckdb.Error as error:
        log.warning("activity: prod's ingestion log not read (%s)", error)
        return []
    return [moment for (value,) in rows if (moment := parse_time(value)) is not None]


def _shown(run: dict) -> dict:
    started, ended = parse_time(run.get("started_at")), parse_time(run.get("ended_at"))
    commit = str(run.get("commit") or activity.UNKNOWN)
    return {
        "started_at": run.get("started_at"),
        "seconds": round((ended - started).total_seconds(), 1) if started and ended else None,
        "command": run.get("command"),
        "target": run.get("target"),
        "selection": " ".join(run.get("selection") or []),
        "options": " ".join(
            f"--{key.replace('_', '-')}" + ("" if value is True else f" {value}")
            for key, value in sorted((run.get("options") or {}).items())
        ),
        "actor": run.get("actor"),
        "host": run.get("host"),
        "commit": commit[:12] + ("+changes" if run.get("dirty") else ""),
        "outcome": run.get("outcome"),
        "reason": run.get("reason") or "",
    }


def collect(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict:
    """The Activity page's data: the runs, newest first, and the weekly figures."""
    folder = warehouse_dir_of(warehouse)
    runs = activity.runs(folder)
    targets: dict[str, dict] = {}
    for run in runs:  # newest first: the first run seen of a target is its latest
        summary = targets.setdefault(str(run.get("target")), {"runs": 0, "latest": _shown(run)})
        summary["runs"] += 1
    return {
        "log": str(activity.log_path(folder)),
        "runs": [_shown(run) for run in runs[:RUNS_SHOWN]],
        "recorded": len(runs),
        "targets": targets,
        "weeks": weekly(runs, received_times(con, warehouse, folder)),
    }
