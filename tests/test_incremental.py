"""Incremental builds equal a full refresh, day by day and when a file re-sends flights.

Two days are built, then a third day arrives (incremental), then a file that
sends the second day again with one delay corrected, one flight now invalid,
one flight now cancelled and one flight left out (incremental). The warehouse is then copied and
rebuilt with --full-refresh: every trusted, quarantine and mart table must
hold the same rows (the `_processed_at` watermark aside).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dataops.build import build, source_rows
from dataops.feed import feed
from dataops.ingest import ingest
from dataops.project import Project
from dataops.sources import load_feeds

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[1]
FIRST, SECOND, THIRD = date(2013, 1, 1), date(2013, 1, 2), date(2013, 1, 3)
COMPARED_SCHEMAS = ("trusted", "quarantine", "marts")


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


def rows_of(warehouse: Path, relation: str) -> list[tuple]:
    """Every row but the watermark, sorted: equal lists mean equal tables (with duplicates)."""
    columns = [
        row[0] for row in query(warehouse, f"describe {relation}") if row[0] != "_processed_at"
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
        feed(feeds, project.inbox_dir, THIRD, THIRD)
        ingest(project, "ci")
        build(project, "ci", artifacts_dir=artifacts)
        steps["before_resend"] = {
            relation: rows_of(warehouse, relation) for relation in relations(warehouse)
        }

        # The source sends the second day again: one delay corrected, one
        # flight with an impossible scheduled time, one flight now cancelled,
        # one flight left out.
        feed(feeds, base / "resend", SECOND, SECOND)
        day = pd.read_csv(base / "resend" / "flights" / f"flights_{SECOND}.csv", dtype=str)
        arrived = day.index[day["dep_delay"].notna() & day["arr_delay"].notna()]
        corrected, invalid, left_out, cancelled = (day.loc[index] for index in arrived[:4])
        day.loc[arrived[0], "dep_delay"] = str(int(float(corrected["dep_delay"])) + 30)
        day.loc[arrived[1], "sched_arr_time"] = "2575"
        day.loc[arrived[3], ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"]] = None
        day = day.drop(index=arrived[2])
        resent = project.inbox_dir / "flights" / f"flights_{SECOND}_resent.csv"
        resent.parent.mkdir(parents=True, exist_ok=True)
        day.to_csv(resent, index=False, lineterminator="\n")
        steps["resend_ingest"] = ingest(project, "ci")
        build(project, "ci", artifacts_dir=artifacts)
        steps["resent_rows"] = (corrected, invalid, left_out, cancelled, len(day))
        steps["incremental"] = {
            relation: rows_of(warehouse, relation) for relation in relations(warehouse)
        }
        steps["zones"] = source_rows(warehouse)

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
    assert builds["resend_ingest"].sources["flights"].landed == 1
    warehouse = builds["warehouse"]
    corrected, invalid, left_out, cancelled, resent = builds["resent_rows"]

    def fact(row: pd.Series) -> list[tuple]:
        return query_fact(warehouse, row)

    assert fact(corrected) == [(int(float(corrected["dep_delay"])) + 30,)]
    assert fact(invalid) == [], "a flight whose latest version is invalid leaves the marts"
    assert fact(left_out) == [(int(float(left_out["dep_delay"])),)]
    assert fact(cancelled) == [(None,)], "a flight now cancelled stays, without a delay"
    # the invalid and the cancelled flight leave the delay model's features
    features = "marts.ml_delay_features"
    before_features = len(builds["before_resend"][features])
    assert len(builds["incremental"][features]) == before_features - 2
    reasons = query(
        warehouse,
        "select rule_id, count(*) from quarantine.quarantine_flights group by 1 order by 1",
    )
    before = len(builds["before_resend"]["trusted.trusted_flights"])
    # every earlier version of a re-sent flight is superseded; the invalid one is rejected
    assert reasons == [("flights_scheduled_time_invalid", 1), ("flights_superseded", resent)]
    assert len(builds["incremental"]["trusted.trusted_flights"]) == before - 1
    for rows in builds["zones"]:
        assert rows.reconciles, rows


def query_fact(warehouse: Path, row: pd.Series) -> list[tuple]:
    return query(
        warehouse,
        f"select departure_delay_minutes from marts.fct_flights"
        f" where flight_date = date '{SECOND}' and airline_id = '{row['carrier']}'"
        f" and flight_number = {int(row['flight'])} and origin_airport_id = '{row['origin']}'"
        f" and scheduled_departure_at_local"
        f" = timestamp '{SECOND} 00:00:00' + interval ({int(row['sched_dep_time']) // 100}) hour"
        f" + interval ({int(row['sched_dep_time']) % 100}) minute",
    )
