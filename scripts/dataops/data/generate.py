"""Generated data: a deterministic scale-up of the real 2013 year, written as the feeds' files.

The real year is the unit. ``flights`` flights make ``replicas`` copies of it
(the last one a seeded sample of the year when ``flights`` is not a multiple):

- copies are laid out as years (2013, 2014, ...) of ``per_year`` copies each:
  every year replays the real calendar (month, day, scheduled clock times) with
  its UTC hour recomputed for that year's daylight-saving dates, and sends the
  weather of the real year once (the three New York airports);
- inside a year, copy ``c`` > 0 is new routes: its origin is rotated among the
  three New York airports (by a seeded permutation) and its flight numbers
  are shifted by ``10000 * c`` so that every flight key stays unique.

Everything else is the real rows: delays, cancellations, unregistered tail
numbers and destinations, weather gaps and the implausible wind reading, so
the defects keep their proportions. The files are the feed's: one flights CSV
and one weather JSON-lines file per day, and the reference extracts dated
with the first day. Copy 0 of 2013 is the real data itself: ``--flights
336776`` writes the same bytes as ``dataops feed``. Same arguments, same bytes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.data.feed import (
    EXTRACT_SOURCES,
    FIRST_DAY,
    FeedSummary,
    _typed,
    csv_bytes,
    file_name,
    jsonl_bytes,
    load_table,
)
from dataops.data.sources import Feed

log = logging.getLogger(__name__)

NEW_YORK = "America/New_York"
ORIGINS = ("EWR", "JFK", "LGA")
FLIGHT_NUMBER_SHIFT = 10000
DEFAULT_SEED = 2013


@dataclass(frozen=True)
class Plan:
    """How many copies of the real year, laid out how."""

    flights: int
    year_flights: int
    seed: int

    @property
    def replicas(self) -> int:
        return math.ceil(self.flights / self.year_flights)

    @property
    def per_year(self) -> int:
        """Copies per year: the square root of the copies, so days and routes grow alike."""
        return math.ceil(math.sqrt(self.replicas))

    @property
    def years(self) -> int:
        return math.ceil(self.replicas / self.per_year)

    @property
    def scale(self) -> float:
        return self.flights / self.year_flights

    def copies(self, year_offset: int) -> range:
        first = year_offset * self.per_year
        return range(first, min(first + self.per_year, self.replicas))

    def rows_of(self, replica: int) -> int:
        """Rows of one copy: the whole year, or the remainder for the last one."""
        remainder = self.flights - (self.replicas - 1) * self.year_flights
        return remainder if replica == self.replicas - 1 else self.year_flights


def plan(flights: int | None, scale: float | None, seed: int) -> Plan:
    """The plan for ``--flights N`` or ``--scale F`` (exactly one of them)."""
    year_flights = len(load_table("flights"))
    if (flights is None) == (scale is None):
        raise DataOpsError(
            "give either --flights or --scale", "e.g. --scale 10 or --flights 1000000"
        )
    if scale is not None:
        if scale <= 0:
            raise DataOpsError(
                f"--scale {scale} is not positive", "give a factor such as 0.1 or 10"
            )
        flights = round(scale * year_flights)
    if flights is None or flights < 1:
        raise DataOpsError(f"--flights {flights} is fewer than one flight", "give at least 1")
    return Plan(flights, year_flights, seed)


def _shift_calendar(
    frame: pd.DataFrame, year_offset: int, hour: pd.Series, *, observations: bool
) -> pd.DataFrame:
    """Move rows ``year_offset`` years on; recompute the UTC hour for that year's DST dates.

    The scheduled (or observed) local clock hour is kept; the UTC hour is that
    local hour in New York in the new year. In the fall-back hour that occurs
    twice, each row keeps the side (daylight or standard time) it had. A local
    hour that does not exist in the new year (spring forward): a flight moves
    to the next valid hour, as a clock would; an hourly observation is not
    sent (as on the real day), and an hour observed twice in the real
    fall-back night is sent once where the new year has no such night.
    """
    if year_offset == 0:
        return frame
    frame = frame.copy()
    original_utc = pd.to_datetime(frame["time_hour"], utc=True)
    original_local = original_utc.dt.tz_convert(NEW_YORK).dt.tz_localize(None)
    was_daylight = (original_local - original_utc.dt.tz_localize(None)) == pd.Timedelta(hours=-4)
    frame["year"] = frame["year"] + year_offset
    day = pd.to_datetime(frame[["year", "month", "day"]])
    # 29 February of the source never exists; shifting by whole years keeps month and day.
    local = day + pd.to_timedelta(hour, unit="h")
    utc = (
        pd.DatetimeIndex(local)
        .tz_localize(
            NEW_YORK,
            ambiguous=was_daylight.to_numpy(),
            nonexistent="NaT" if observations else "shift_forward",
        )
        .tz_convert("UTC")
    )
    frame["time_hour"] = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if observations:
        frame = frame[~utc.isna()].drop_duplicates(["origin", "time_hour"], keep="first")
    return frame


def _route_copy(frame: pd.DataFrame, copy: int, rotation: tuple[int, int, int]) -> pd.DataFrame:
    """Copy ``copy`` of a year: origins rotated, flight numbers shifted (copy 0 is untouched)."""
    if copy == 0:
        return frame
    frame = frame.copy()
    mapping = {origin: ORIGINS[index] for origin, index in zip(ORIGINS, rotation, strict=True)}
    frame["origin"] = frame["origin"].map(mapping).fillna(frame["origin"])
    frame["flight"] = frame["flight"] + FLIGHT_NUMBER_SHIFT * copy
    return frame


def _rotations(plan_: Plan) -> list[tuple[int, int, int]]:
    """One seeded permutation of the three origins per copy within a year."""
    rng = np.random.default_rng(plan_.seed)
    return [tuple(int(i) for i in rng.permutation(3)) for _ in range(plan_.per_year)]


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """A seeded sample of the year's rows, in the year's order."""
    if rows >= len(frame):
        return frame
    rng = np.random.default_rng([seed, rows])
    keep = np.sort(rng.choice(len(frame), size=rows, replace=False))
    return frame.iloc[keep]


def _daily_files(frame: pd.DataFrame, spec: Feed, inbox: Path, summary: FeedSummary) -> None:
    frame = frame.assign(_day=pd.to_datetime(frame[["year", "month", "day"]]).dt.date)
    for day, group in frame.groupby("_day", sort=True):
        typed = _typed(group, spec)
        data = csv_bytes(typed) if spec.format == "csv" else jsonl_bytes(typed)
        write_atomic(inbox / spec.source / file_name(spec.source, day, spec.extension), data)
        summary.add(spec.source, len(typed))


def generate(
    feeds: dict[str, Feed],
    inbox: Path,
    plan_: Plan,
    progress: Callable[[int, int], None] | None = None,
) -> FeedSummary:
    """Write the generated files into ``inbox/<source>/``; returns what was written."""
    last_year = FIRST_DAY.year + plan_.years - 1
    summary = FeedSummary(FIRST_DAY, date(last_year, 12, 31))
    for source in EXTRACT_SOURCES:
        spec = feeds[source]
        frame = _typed(load_table(source), spec)
        write_atomic(
            inbox / source / file_name(source, FIRST_DAY, spec.extension), csv_bytes(frame)
        )
        summary.add(source, len(frame))

    flights = load_table("flights")
    weather = load_table("weather")
    rotations = _rotations(plan_)
    for year_offset in range(plan_.years):
        year_flights = _shift_calendar(flights, year_offset, flights["hour"], observations=False)
        copies = [
            _route_copy(
                _sample(year_flights, plan_.rows_of(replica), plan_.seed),
                replica % plan_.per_year,
                rotations[replica % plan_.per_year],
            )
            for replica in plan_.copies(year_offset)
        ]
        _daily_files(pd.concat(copies), feeds["flights"], inbox, summary)
        year_weather = _shift_calendar(weather, year_offset, weather["hour"], observations=True)
        _daily_files(year_weather, feeds["weather"], inbox, summary)
        if progress:
            progress(year_offset + 1, plan_.years)
    return summary
