"""Incremental builds equal a full refresh, day by day and when files re-send days.

Two days are built, then a third day with bad rows and a fourth, clean, day
arrive together (incremental): four delays no integer holds, a flight
repeated, a flight repeated with another delay, a month 13, an unreadable
time_hour, three weather readings that are not finite numbers and a weather
line repeated. Then, in one ingest (incremental): a file sends the second day
again with one delay corrected (and repeated), one flight now invalid, one
flight now cancelled, one flight left out, and the third day's month-13 row
once more (a row with no date stands alone in its file); a file sends the
first day again with every flight invalid (the day leaves trusted and the
marts); a file sends the fourth day again with every flight cancelled (the
day leaves the delay model's features); a weather file sends the first day
again with every reading invalid (its UTC day leaves trusted). The warehouse
is then copied and rebuilt with --full-refresh: every trusted, quarantine and
mart table must hold the same rows (the build stamps `_processed_at` and `changed_at` aside).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dataops.core.build import build, fresher_build, state_dir
from dataops.core.project import Project
from dataops.core.zones import source_rows
from dataops.data.feed import feed
from dataops.data.sources import Feed, load_feeds
from dataops.delivery.ci import BUILD_STAMP_COLUMNS
from dataops.ingest.run import ingest
from tests.project.test_bad_rows import (
    BAD_DELAYS,
    BAD_READINGS,
    spoil_flights_file,
    spoil_weather_file,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
FIRST, SECOND, THIRD, FOURTH = (date(2013, 1, day) for day in range(1, 5))
COMPARED_SCHEMAS = ("trusted", "quarantine", "marts")
CANCELLED_COLUMNS = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"]


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def relations(warehouse: Path) -> list[str]:
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    rows = query(
        warehouse,
        "select table_schema || '.' || table_name from information_schema.tables"
        f" where table_schema in ({schemas}) and table_type = 'BASE TABLE' order by 1",
    )
    return [row[0] for row in rows]


STAMPED = ("trusted.int_flights_validated", "trusted.trusted_flights", "marts.fct_flights")
# The build stamps, which differ between any two builds: the models' `_processed_at` and
# the change signal's `changed_at` (trusted_flight_days).
STAMP_COLUMNS = BUILD_STAMP_COLUMNS | {"changed_at"}


def processed_at_by_day(warehouse: Path) -> dict[str, dict[date, object]]:
    """When each day of the flights tables was last computed."""
    return {
        relation: dict(
            query(warehouse, f"select flight_date, max(_processed_at) from {relation} group by 1")
        )
        for relation in STAMPED
    }


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


def rows_of(warehouse: Path, relation: str) -> list[tuple]:
    """Every row but the watermark, sorted: equal lists mean equal tables (with duplicates)."""
    columns = [
        row[0] for row in query(warehouse, f"describe {relation}") if row[0] not in STAMP_COLUMNS
    ]
    rows = query(warehouse, f"select {', '.join(columns)} from {relation}")
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("incremental")
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
        feed(feeds, project.inbox_dir, FIRST, SECOND)
        ingest(project, "ci")
        build(project, "ci", artifacts_dir=artifacts)
        feed(feeds, project.inbox_dir, THIRD, FOURTH)
        third = project.inbox_dir / "flights" / f"flights_{THIRD}.csv"
        steps["conflicting"] = repeat_with_a_later_delay(third)
        steps["third_flights"] = spoil_flights_file(third)
        steps["third_weather"] = spoil_weather_file(
            project.inbox_dir / "weather" / f"weather_{THIRD}.jsonl"
        )
        no_date = pd.read_csv(third, dtype=str).query("month == '13'")
        ingest(project, "ci")
        build(project, "ci", artifacts_dir=artifacts)
        steps["before_resend"] = {
            relation: rows_of(warehouse, relation) for relation in relations(warehouse)
        }
        steps["stamps_before"] = processed_at_by_day(warehouse)

        # The source sends the second day again (see resend_day), with the third day's
        # row with no date once more.
        feed(feeds, base / "resend", FIRST, FOURTH)
        steps["resent_rows"] = resend_day(base / "resend", SECOND, project.inbox_dir, no_date)
        # The first day again, every flight invalid; the fourth, every flight cancelled.
        first = pd.read_csv(base / "resend" / "flights" / f"flights_{FIRST}.csv", dtype=str)
        first["sched_arr_time"] = "2575"
        write_csv(first, project.inbox_dir / "flights" / f"flights_{FIRST}_resent.csv")
        fourth = pd.read_csv(base / "resend" / "flights" / f"flights_{FOURTH}.csv", dtype=str)
        fourth[CANCELLED_COLUMNS] = None
        write_csv(fourth, project.inbox_dir / "flights" / f"flights_{FOURTH}_resent.csv")
        # The first day's weather again, every temperature out of range.
        lines = (base / "resend" / "weather" / f"weather_{FIRST}.jsonl").read_text().splitlines()
        records = [{**json.loads(line), "temp": 999.0} for line in lines]
        (project.inbox_dir / "weather" / f"weather_{FIRST}_resent.jsonl").write_text(
            "".join(json.dumps(record) + "\n" for record in records)
        )
        steps["resend_ingest"] = ingest(project, "ci")
        build(project, "ci", artifacts_dir=artifacts)
        steps["incremental"] = {
            relation: rows_of(warehouse, relation) for relation in relations(warehouse)
        }
        steps["zones"] = source_rows(warehouse)
        steps["stamps_after"] = processed_at_by_day(warehouse)

        refreshed = base / "refreshed"
        refreshed.mkdir()
        shutil.copy(warehouse, refreshed / warehouse.name)
        monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(refreshed))
        build(project, "ci", full_refresh=True, artifacts_dir=artifacts)
        steps["full_refresh"] = {
            relation: rows_of(refreshed / warehouse.name, relation)
            for relation in relations(refreshed / warehouse.name)
        }
        yield steps
    finally:
        monkeypatch.undo()


def test_incremental_equals_full_refresh(builds: dict) -> None:
    incremental, full = builds["incremental"], builds["full_refresh"]
    assert set(incremental) == set(full)
    assert "marts.fct_flights" in incremental and "trusted.trusted_flights" in incremental
    for relation in sorted(full):
        assert incremental[relation] == full[relation], relation


def test_resent_file_latest_wins(builds: dict) -> None:
    assert builds["resend_ingest"].sources["flights"].landed == 3
    warehouse = builds["warehouse"]
    corrected, invalid, left_out, cancelled, resent = builds["resent_rows"]

    def fact(row: pd.Series) -> list[tuple]:
        return query_fact(warehouse, row)

    assert fact(corrected) == [(int(float(corrected["dep_delay"])) + 30,)]
    assert fact(invalid) == [], "a flight whose latest version is invalid leaves the marts"
    assert fact(left_out) == [(int(float(left_out["dep_delay"])),)]
    assert fact(cancelled) == [(None,)], "a flight now cancelled stays, without a delay"
    # the invalid and the cancelled flight leave the delay model's features
    assert len(features_of(builds["incremental"], SECOND)) == (
        len(features_of(builds["before_resend"], SECOND)) - 2
    )
    reasons = query(
        warehouse,
        "select rule_id, count(*) from quarantine.quarantine_flights"
        f" where flight_date = date '{SECOND}' group by 1 order by 1",
    )
    # every earlier version of a re-sent flight is superseded; the invalid one is rejected;
    # the corrected flight's second row in the re-sent file is a duplicate in its file
    assert reasons == [
        ("flights_duplicate_in_file", 1),
        ("flights_scheduled_time_invalid", 1),
        ("flights_superseded", resent),
    ]
    assert len(trusted_of(builds["incremental"], SECOND)) == (
        len(trusted_of(builds["before_resend"], SECOND)) - 1
    )
    for rows in builds["zones"]:
        assert rows.reconciles, rows


def trusted_of(tables: dict, day: date) -> list[tuple]:
    return [row for row in tables["trusted.trusted_flights"] if day in row]


def features_of(tables: dict, day: date) -> list[tuple]:
    return [row for row in tables["marts.ml_delay_features"] if day in row]


def test_a_day_that_keeps_no_row_leaves_the_tables(builds: dict) -> None:
    """The first day re-sent all invalid, the fourth all cancelled, the first day's weather
    all implausible: the days are emptied, not left with their old rows."""
    warehouse = builds["warehouse"]

    def days(relation: str, column: str = "flight_date") -> set[date]:
        return {row[0] for row in query(warehouse, f"select distinct {column} from {relation}")}

    assert FIRST in days("trusted.int_flights_validated")
    for relation in (
        "trusted.trusted_flights",
        "marts.fct_flights",
        "marts.ml_delay_features",
        "marts.mart_performance__days",
        "marts.mart_performance__airports",
    ):
        assert FIRST not in days(relation), relation
        assert THIRD in days(relation), relation
    assert FOURTH in days("marts.fct_flights")
    assert FOURTH not in days("marts.ml_delay_features")
    assert query(
        warehouse,
        "select count(*) = count(*) filter (where is_cancelled) from marts.fct_flights"
        f" where flight_date = date '{FOURTH}'",
    ) == [(True,)]
    assert FIRST not in days("trusted.trusted_weather_observations", "observed_date")
    assert FIRST in days("quarantine.quarantine_weather_observations", "observed_date")
    # a month keeps its other days
    assert query(warehouse, "select count(*) from marts.mart_performance__airlines") != [(0,)]


def test_a_row_with_no_date_stands_alone_in_its_file(builds: dict) -> None:
    """The month-13 flight of the third day, sent again in the re-sent second day: one row
    per file, each first in its own file, both quarantined for the missing key."""
    rows = query(
        builds["warehouse"],
        "select version_rank, is_duplicate_in_file, rule_id from quarantine.quarantine_flights"
        " where flight_date is null and scheduled_departure_hour_at is not null",
    )
    assert rows == [(1, False, "flights_key_missing")] * 2


def test_only_the_changed_days_are_computed_again(builds: dict) -> None:
    before, after = builds["stamps_before"], builds["stamps_after"]
    for relation in before:
        assert after[relation][THIRD] == before[relation][THIRD], relation
        assert after[relation][SECOND] > before[relation][SECOND], relation


def test_bad_day_built_incrementally_quarantines_its_rows(builds: dict) -> None:
    warehouse = builds["warehouse"]
    flights, weather = builds["third_flights"], builds["third_weather"]
    reasons = query(
        warehouse,
        "select rule_id, count(*) from quarantine.quarantine_flights"
        f" where flight_date = date '{THIRD}' group by 1 order by 1",
    )
    # a flight repeated as sent, a flight repeated with another delay, and (spoiled as in
    # test_bad_rows) a flight with an unreadable time_hour; the one of month 13 has no date
    # (test_a_row_with_no_date_stands_alone_in_its_file)
    assert reasons == [
        ("flights_duplicate_in_file", 2),
        ("flights_key_missing", 1),
        ("flights_number_invalid", len(BAD_DELAYS)),
    ]
    # of the two rows of the conflicting flight, the one first by its columns is kept
    # (the smaller delay), whatever the order of the file
    kept = builds["conflicting"]
    assert query_fact(warehouse, kept, THIRD) == [(int(float(kept["dep_delay"])),)]
    for bad in flights.bad_delays:
        carrier, number, origin, scheduled = bad
        row = pd.Series(
            {"carrier": carrier, "flight": number, "origin": origin, "sched_dep_time": scheduled}
        )
        assert query_fact(warehouse, row, THIRD) == []
    reasons = query(
        warehouse,
        "select rule_id, count(*) from quarantine.quarantine_weather_observations"
        f" where _source_file = 'weather_{THIRD}.jsonl' group by 1 order by 1",
    )
    # a line repeated, a day 32 and an unreadable time_hour, and the bad readings
    assert reasons == [
        ("weather_duplicate_in_file", 1),
        ("weather_key_missing", len(weather.bad_dates)),
        ("weather_number_invalid", len(BAD_READINGS)),
    ]
    assert len(weather.bad_readings) == len(BAD_READINGS)


def test_daily_run_builds_what_the_new_files_reach(
    project_env: Project, feeds: dict[str, Feed], tmp_path: Path
) -> None:
    """The daily run after a day of flights and weather: the registers are not rebuilt.

    The extracts fed with the day repeat those landed before (duplicates): no reference
    source is fresher, so their snapshots, staging and trusted versions do not run (the
    dimensions that count the flights do).
    """
    without_tests = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    artifacts = tmp_path / "dbt"
    feed(feeds, project_env.inbox_dir, FIRST, SECOND)
    ingest(project_env, "ci")
    assert fresher_build(project_env, "ci", without_tests, artifacts).success
    kept = state_dir(project_env.warehouse_dir, "ci") / "sources.json"
    assert kept.is_file()
    feed(feeds, project_env.inbox_dir, THIRD, THIRD)
    ingest(project_env, "ci")
    assert fresher_build(project_env, "ci", without_tests, artifacts).success
    results = json.loads((artifacts / "target" / "run_results.json").read_text("utf-8"))
    ran = {result["unique_id"] for result in results["results"]}
    names = {unique_id.split(".")[-1] for unique_id in ran}
    assert {"trusted_flights", "fct_flights", "trusted_weather_observations"} <= names
    assert not [unique_id for unique_id in ran if unique_id.startswith("snapshot.")]
    registers = [
        f"{prefix}{register}"
        for prefix in ("snapshot_", "stg_", "int_", "trusted_")
        for register in ("airports", "airlines", "planes")
    ]
    assert not [name for name in names if name.startswith(tuple(registers))]
    days = query(
        project_env.warehouse_path("ci"), "select distinct flight_date from marts.fct_flights"
    )
    assert sorted(day for (day,) in days) == [FIRST, SECOND, THIRD]


def resend_day(
    fed: Path, day: date, inbox: Path, extra: pd.DataFrame | None = None
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, int]:
    """A file sending ``day`` again, from the feed's file in ``fed``, into the inbox.

    One delay corrected (and the flight repeated), one flight with an impossible
    scheduled time, one flight now cancelled, one flight left out; ``extra`` rows
    appended. Returns the four flights as fed and the rows sent before the repeats.
    """
    frame = pd.read_csv(fed / "flights" / f"flights_{day}.csv", dtype=str)
    arrived = frame.index[frame["dep_delay"].notna() & frame["arr_delay"].notna()]
    corrected, invalid, left_out, cancelled = (frame.loc[index] for index in arrived[:4])
    frame.loc[arrived[0], "dep_delay"] = str(int(float(corrected["dep_delay"])) + 30)
    frame.loc[arrived[1], "sched_arr_time"] = "2575"
    frame.loc[arrived[3], CANCELLED_COLUMNS] = None
    frame = frame.drop(index=arrived[2])
    sent = len(frame)
    frame = pd.concat([frame, frame.loc[[arrived[0]]], *([extra] if extra is not None else [])])
    write_csv(frame, inbox / "flights" / f"flights_{day}_resent.csv")
    return corrected, invalid, left_out, cancelled, sent


def repeat_with_a_later_delay(path: Path) -> pd.Series:
    """Write, just before a departed flight (the tenth), the same flight an hour later.

    Returns the flight's row as the feed sent it.
    """
    day = pd.read_csv(path, dtype=str, keep_default_na=False)
    index = day.index[day["dep_delay"] != ""][10]
    sent = day.loc[index].copy()
    later = day.loc[[index]].copy()
    later["dep_delay"] = str(int(float(sent["dep_delay"])) + 60)
    day = pd.concat([day.loc[: index - 1], later, day.loc[index:]])
    day.to_csv(path, index=False, lineterminator="\n")
    return sent


def query_fact(warehouse: Path, row: pd.Series, day: date = SECOND) -> list[tuple]:
    return query(
        warehouse,
        f"select departure_delay_minutes from marts.fct_flights"
        f" where flight_date = date '{day}' and airline_id = '{row['carrier']}'"
        f" and flight_number = {int(row['flight'])} and origin_airport_id = '{row['origin']}'"
        f" and scheduled_departure_at_local"
        f" = timestamp '{day} 00:00:00' + interval ({int(row['sched_dep_time']) // 100}) hour"
        f" + interval ({int(row['sched_dep_time']) % 100}) minute",
    )
