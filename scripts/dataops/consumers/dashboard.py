"""The on-time dashboard's data: the performance marts of a target, copied into memory.

A reader never blocks a publish, nor any writer: the target's DuckDB file is opened
read-only for the length of one read of the four marts (a few thousand rows for the
year) and closed at once; the dashboard then filters the copy in memory. A publish
moves a new file onto prod by a rename (``dataops.delivery.publish``): the copy is read again
only when prod's file or its publish record changed (``Reader``), so the dashboard
shows one publish at a time, whole, and the newest one after a reload.

The figures are the marts' rows; where the dashboard adds cells up (several months,
days or airports) the rates are recomputed from the counts and the average delays
weighted by the flights that departed (departure) or arrived (arrival).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.publish import PROD, RECORD, Places

log = logging.getLogger(__name__)

# The marts the dashboard reads (the exposure on_time_performance_dashboard).
MARTS = {
    "airlines": "marts.mart_performance__airlines",
    "routes": "marts.mart_performance__routes",
    "airports": "marts.mart_performance__airports",
    "days": "marts.mart_performance__days",
}
MEASURES = (
    "scheduled_flights",
    "cancelled_flights",
    "diverted_flights",
    "completed_flights",
    "on_time_arrivals",
    "on_time_arrival_rate",
    "cancellation_rate",
    "average_departure_delay_minutes",
    "average_arrival_delay_minutes",
)
COLUMNS = {
    "airlines": ("airline_id", "airline_name", *MEASURES, "month_start_date"),
    "routes": (
        "origin_airport_id",
        "destination_airport_id",
        "distance_miles",
        *MEASURES,
        "month_start_date",
    ),
    "airports": ("origin_airport_id", *MEASURES, "on_time_departures", "flight_date"),
    "days": (*MEASURES, "day_of_week_number", "is_weekend", "flight_date"),
}
COUNTS = (
    "scheduled_flights",
    "cancelled_flights",
    "diverted_flights",
    "completed_flights",
    "on_time_arrivals",
)
# Width of a bar of the distribution of the daily average arrival delay, in minutes.
DELAY_BAND_MINUTES = 10


def identity(project: Project, target: str = PROD) -> tuple | None:
    """What changes when a publish (or a build of the target) replaces its data."""
    path = project.warehouse_path(target)
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    record = Places.of(project).prod_artifacts / RECORD
    published = record.stat().st_mtime_ns if target == PROD and record.exists() else None
    return (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size, published)


def missing_hint(target: str) -> str:
    if target == PROD:
        return "run dataops publish (make demo then dataops publish, on a new checkout)"
    return f"run dataops build --target {target}"


@dataclass(frozen=True)
class Snapshot:
    """The marts of one version of a target's warehouse, read at ``read_at``."""

    target: str
    path: Path
    frames: dict[str, pd.DataFrame]
    published_at: datetime | None
    read_at: datetime
    identity: tuple | None = field(default=None, compare=False)

    @property
    def data_through(self) -> date | None:
        days = self.frames["days"]["flight_date"]
        return None if days.empty else days.max()

    @property
    def data_from(self) -> date | None:
        days = self.frames["days"]["flight_date"]
        return None if days.empty else days.min()

    def airline_names(self) -> dict[str, str]:
        rows = self.frames["airlines"][["airline_id", "airline_name"]].drop_duplicates()
        return dict(sorted(zip(rows["airline_id"], rows["airline_name"], strict=True)))

    def airports(self) -> list[str]:
        return sorted(self.frames["airports"]["origin_airport_id"].unique())


def published_at(project: Project, target: str = PROD) -> datetime | None:
    """When prod was last published (``publish.json``); None for another target."""
    record = Places.of(project).prod_artifacts / RECORD
    if target != PROD or not record.is_file():
        return None
    try:
        value = json.loads(record.read_text(encoding="utf-8")).get("published_at")
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def read(project: Project, target: str = PROD) -> Snapshot:
    """Copy the performance marts of ``target`` into memory; the file is closed on return."""
    path = project.warehouse_path(target)
    before = identity(project, target)
    if before is None:
        raise DataOpsError(f"no {target} warehouse at {path}", missing_hint(target))
    try:
        con = duckdb.connect(str(path), read_only=True, config={"threads": 1})
    except duckdb.Error as error:
        raise DataOpsError(
            f"the {target} warehouse {path} cannot be read now ({str(error).splitlines()[0]})",
            "a build is writing it: reload when it has finished",
        ) from error
    try:
        frames = {}
        for name, relation in MARTS.items():
            columns = ", ".join(COLUMNS[name])
            try:
                frames[name] = con.execute(f"select {columns} from {relation}").df()
            except duckdb.CatalogException as error:
                raise DataOpsError(
                    f"{relation} is missing from the {target} warehouse {path}",
                    missing_hint(target),
                ) from error
    finally:
        con.close()
    for frame in frames.values():
        for column in ("flight_date", "month_start_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column]).dt.date
    return Snapshot(
        target,
        path,
        frames,
        published_at(project, target),
        datetime.now(UTC),
        before,
    )


class Reader:
    """The latest snapshot of a target, read again only when its file changed.

    Thread-safe (a dashboard serves several sessions). A failed read keeps the previous
    snapshot, and ``problem`` says why.
    """

    def __init__(self, project: Project, target: str = PROD) -> None:
        self.project = project
        self.target = target
        self.problem: DataOpsError | None = None
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def current(self) -> Snapshot:
        with self._lock:
            now = identity(self.project, self.target)
            if self._snapshot is None or now != self._snapshot.identity:
                try:
                    self._snapshot = read(self.project, self.target)
                    self.problem = None
                except DataOpsError as error:
                    self.problem = error
                    if self._snapshot is None:
                        raise
                    log.warning("kept the snapshot read at %s: %s", self._snapshot.read_at, error)
            return self._snapshot


@dataclass(frozen=True)
class Filters:
    """What the reader chose; empty means every airline, every airport, the whole period."""

    airlines: tuple[str, ...] = ()
    airports: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


def _in_period(frame: pd.DataFrame, column: str, filters: Filters, monthly: bool) -> pd.Series:
    """Rows of the period; a month is in when any of its days is."""
    keep = pd.Series(True, index=frame.index)
    start = filters.start.replace(day=1) if monthly and filters.start else filters.start
    if start is not None:
        keep &= frame[column] >= start
    if filters.end is not None:
        keep &= frame[column] <= filters.end
    return keep


def by_airline_month(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """The airline mart's rows in the airlines and months chosen (the airport filter does
    not apply: the mart counts every New York departure of the airline)."""
    frame = snapshot.frames["airlines"]
    keep = _in_period(frame, "month_start_date", filters, monthly=True)
    if filters.airlines:
        keep &= frame["airline_id"].isin(filters.airlines)
    return frame[keep].sort_values(["month_start_date", "airline_id"]).reset_index(drop=True)


def by_route(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """The route mart's rows from the airports and in the months chosen."""
    frame = snapshot.frames["routes"]
    keep = _in_period(frame, "month_start_date", filters, monthly=True)
    if filters.airports:
        keep &= frame["origin_airport_id"].isin(filters.airports)
    ordered = frame[keep].sort_values(
        ["month_start_date", "scheduled_flights", "origin_airport_id", "destination_airport_id"],
        ascending=[True, False, True, True],
    )
    return ordered.reset_index(drop=True)


def by_airport_day(snapshot: Snapshot, filters: Filters) -> pd.DataFrame:
    """The airport mart's rows of the airports and days chosen."""
    frame = snapshot.frames["airports"]
    keep = _in_period(frame, "flight_date", filters, monthly=False)
    if filters.airports:
        keep &= frame["origin_airport_id"].isin(filters.airports)
    return frame[keep].sort_values(["flight_date", "origin_airport_id"]).reset_index(drop=True)


def totals(rows: pd.DataFrame) -> dict[str, float | int | None]:
    """The figures of several cells added up: counts summed, rates from the counts,
    average delays weighted by the flights they average over."""
    counts = {name: int(rows[name].sum()) for name in COUNTS}
    departed = rows["scheduled_flights"] - rows["cancelled_flights"]

    def weighted(column: str, weights: pd.Series) -> float | None:
        known = rows[column].notna() & (weights > 0)
        total = weights[known].sum()
        return float((rows[column][known] * weights[known]).sum() / total) if total else None

    scheduled, completed = counts["scheduled_flights"], counts["completed_flights"]
    return {
        **counts,
        "on_time_arrival_rate": counts["on_time_arrivals"] / completed if completed else None,
        "cancellation_rate": counts["cancelled_flights"] / scheduled if scheduled else None,
        "average_departure_delay_minutes": weighted("average_departure_delay_minutes", departed),
        "average_arrival_delay_minutes": weighted(
            "average_arrival_delay_minutes", rows["completed_flights"]
        ),
    }


def delay_distribution(rows: pd.DataFrame, band: int = DELAY_BAND_MINUTES) -> pd.DataFrame:
    """How many airport-days had each band of average arrival delay (minutes, lower bound),
    and their flights."""
    known = rows[rows["average_arrival_delay_minutes"].notna()]
    lower = (known["average_arrival_delay_minutes"] // band * band).astype(int)
    grouped = known.assign(band_start_minutes=lower).groupby("band_start_minutes")
    return (
        grouped.agg(
            airport_days=("flight_date", "size"), scheduled_flights=("scheduled_flights", "sum")
        )
        .reset_index()
        .sort_values("band_start_minutes")
        .reset_index(drop=True)
    )


def stamp(snapshot: Snapshot) -> str:
    """One line: how far the data reaches, when prod was published, when it was read."""
    through = snapshot.data_through
    reach = f"data through {through:%Y-%m-%d}" if through else "no flights yet"
    if snapshot.target == PROD:
        when = (
            f"prod published {snapshot.published_at:%Y-%m-%d %H:%M} UTC"
            if snapshot.published_at
            else "prod's publish time unknown (no publish.json)"
        )
    else:
        when = f"target {snapshot.target}, not a published prod"
    return f"{reach} · {when} · read {snapshot.read_at:%H:%M:%S} UTC"


def environment_target() -> str:
    """The target the dashboard reads: DATAOPS_DASHBOARD_TARGET, prod by default."""
    return os.environ.get("DATAOPS_DASHBOARD_TARGET") or PROD
