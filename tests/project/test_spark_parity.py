"""Parity: the same landed files give the same tables on DuckDB and on Apache Spark.

A month of the real 2013 data (January but its last day) is fed and ingested once
(target ci, whose ingestion log ingest also writes as Parquet); the ci target builds
it on DuckDB and the spark target (dbt-spark, method session) builds it from the
same files and the same log. Every model, data test and unit test runs on both
(``dbt build``); then every mart must have the same row count and the same
order-independent checksum on both engines. Then the last day arrives with a file
sending the 15th again (a delay corrected, a flight invalid, one cancelled, one left
out), and both engines build incrementally (delete+insert of the days on DuckDB,
insert_overwrite of the day partitions on Spark): every trusted, quarantine and
mart table must equal, on Spark, the DuckDB warehouse rebuilt with --full-refresh,
and the days no file reached keep their rows on Spark.

Snapshots run on DuckDB only (docs/spark.md): on Spark, staging reads
the reference registers' latest extract as their versions. The two agree when
each register was received once, which the test checks on its input before
it compares the marts.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dataops.core.build import build
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from dataops.core.zones import spark_session
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.run import ingest
from tests.project.test_incremental import STAMP_COLUMNS, STAMPED, resend_day

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

SLICE_START = date(2013, 1, 1)
SLICE_END = date(2013, 1, 30)
NEW_DAY, RESENT_DAY = date(2013, 1, 31), date(2013, 1, 15)
COMPARED_SCHEMAS = ("trusted", "quarantine", "marts")
# The models built whole on every run (tables): not incremental by design.
BUILD_MODELS_ONLY = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
# Doubles (averages, rates) are compared to this many significant digits: the
# engines add floating-point numbers in different orders.
SIGNIFICANT_DIGITS = 12


def _normalised(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        number = float(value)
        if math.isnan(number):
            return "nan"
        if number == int(number) and abs(number) < 2**53:
            return str(int(number))
        return f"{number:.{SIGNIFICANT_DIGITS}g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def checksum(rows: Iterable[Iterable[object]]) -> tuple[int, str]:
    """Row count and the sum of the rows' SHA-256 (order-independent)."""
    count = 0
    total = 0
    for row in rows:
        digest = hashlib.sha256("\x1f".join(_normalised(v) for v in row).encode()).digest()
        total = (total + int.from_bytes(digest, "big")) % 2**256
        count += 1
    return count, f"{total:064x}"


def duckdb_tables(warehouse: Path, schema: str = "marts") -> dict[str, tuple[int, str]]:
    """Checksum of each table and view of a schema of a DuckDB warehouse."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?"
                " order by table_name",
                [schema],
            ).fetchall()
        ]
        result = {}
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by column_name",
                    [schema, table],
                ).fetchall()
                if name not in STAMP_COLUMNS
            ]
            sql = f"select {', '.join(columns)} from {schema}.{table}"
            result[table] = checksum(con.execute(sql).fetchall())
        return result
    finally:
        con.close()


def spark_tables(schema: str = "marts") -> dict[str, tuple[int, str]]:
    """Checksums on the Spark session dbt-spark left running in this process."""
    spark = spark_session()
    assert spark is not None, "dbt-spark (method session) left no Spark session"
    result = {}
    for row in spark.sql(f"show tables in {schema}").collect():
        if row.isTemporary:
            continue
        table = row.tableName
        columns = sorted(
            name for name in spark.table(f"{schema}.{table}").columns if name not in STAMP_COLUMNS
        )
        frame = spark.sql(f"select {', '.join(columns)} from {schema}.{table}")
        result[table] = checksum(tuple(r) for r in frame.toLocalIterator())
    return result


def spark_processed_at(relation: str) -> dict[date, datetime]:
    spark = spark_session()
    rows = spark.sql(f"select flight_date, max(_processed_at) from {relation} group by 1")
    return {row[0]: row[1] for row in rows.collect()}


@pytest.fixture
def utc_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python and the JVM read timestamps in UTC, as both warehouses store them."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


# Generic tests whose SQL is DuckDB's (they read the run history or DuckDB's catalog).
DUCKDB_ONLY_TESTS = frozenset(
    {"volume_anomaly", "column_anomalies", "freshness_anomaly", "schema_change"}
)


def duckdb_only(manifest: dict, unique_id: str) -> bool:
    """True for the nodes the project enables on DuckDB targets only."""
    node = manifest["nodes"].get(unique_id) or manifest["unit_tests"].get(unique_id)
    if node is None:
        return False
    if node["resource_type"] == "snapshot":
        return True
    if node["resource_type"] == "model":
        # the run history, and Python models (dbt-spark runs them on Databricks or
        # Dataproc, not in a local session: ml_delay_predictions)
        return node["schema"] == "observability" or node.get("language") == "python"
    if (node.get("test_metadata") or {}).get("name") in DUCKDB_ONLY_TESTS:
        return True
    parents = node.get("depends_on", {}).get("nodes", [])
    return any(duckdb_only(manifest, parent) for parent in parents)


def test_marts_have_the_same_rows_on_duckdb_and_spark(
    project_env: Project, feeds: dict[str, Feed], tmp_path: Path, utc_process: None
) -> None:
    project = project_env
    feed(feeds, project.inbox_dir, SLICE_START, SLICE_END)
    summary = ingest(project, "ci")
    assert not summary.rejected
    assert project.log_export_path("ci").is_file()

    # Snapshots are DuckDB-only: the parity holds for registers received once.
    for source in ("planes", "airports", "airlines"):
        assert summary.sources[source].landed == 1, source

    artifacts = tmp_path / "artifacts"
    duck = build(project, "ci", artifacts_dir=artifacts / "ci")
    assert duck.tests.get("fail", 0) == 0 and duck.tests.get("error", 0) == 0
    spark = build(project, "spark", ingestion_log_of="ci", artifacts_dir=artifacts / "spark")
    assert spark.tests.get("fail", 0) == 0 and spark.tests.get("error", 0) == 0
    # Every node that ran on DuckDB ran on Spark, but the DuckDB-only ones:
    # snapshots, the run history (observability) and the anomaly tests, and
    # the tests of those.
    manifest = json.loads((artifacts / "ci" / "target" / "manifest.json").read_text())
    assert set(spark.statuses) < set(duck.statuses)
    only_on_duckdb = set(duck.statuses) - set(spark.statuses)
    assert {uid for uid in only_on_duckdb if uid.startswith("snapshot.")} == {
        f"snapshot.nycflights.snapshot_{name}" for name in ("planes", "airports", "airlines")
    }
    for unique_id in only_on_duckdb:
        assert duckdb_only(manifest, unique_id), unique_id
    # The same defects are reported on both engines (warn-severity tests).
    warned = {uid for uid, status in duck.statuses.items() if status == "warn"}
    assert {uid for uid, status in spark.statuses.items() if status == "warn"} == (
        warned - only_on_duckdb
    )
    assert warned - only_on_duckdb

    # the models built on DuckDB only (Python models) have nothing to compare with
    python_models = {unique_id.removeprefix("model.nycflights.") for unique_id in only_on_duckdb}
    on_duckdb = duckdb_tables(project.warehouse_path("ci"))
    on_spark = spark_tables()
    for name in python_models:
        on_duckdb.pop(name, None)
    assert sorted(on_spark) == sorted(on_duckdb)
    assert on_duckdb["fct_flights"][0] > 0
    for mart, (rows, digest) in on_duckdb.items():
        assert on_spark[mart] == (rows, digest), mart

    # A new day and a day sent again, built incrementally on both engines.
    stamps = {relation: spark_processed_at(relation) for relation in STAMPED}
    feed(feeds, tmp_path / "fed", NEW_DAY, NEW_DAY)
    for source in ("flights", "weather"):
        for path in (tmp_path / "fed" / source).iterdir():
            shutil.copy(path, project.inbox_dir / source / path.name)
    feed(feeds, tmp_path / "resend", RESENT_DAY, RESENT_DAY)
    resend_day(tmp_path / "resend", RESENT_DAY, project.inbox_dir)
    assert ingest(project, "ci").sources["flights"].landed == 2
    assert run_dbt(project, ["build", *BUILD_MODELS_ONLY], "ci", artifacts / "ci").success
    spark_vars = ["--vars", "{ingestion_log_target: ci}"]
    assert run_dbt(
        project, ["build", *BUILD_MODELS_ONLY, *spark_vars], "spark", artifacts / "spark"
    ).success
    # Spark replaced the new and the re-sent day only ...
    for relation, before in stamps.items():
        after = spark_processed_at(relation)
        assert NEW_DAY in after and NEW_DAY not in before, relation
        assert after[RESENT_DAY] > before[RESENT_DAY], relation
        assert after[SLICE_START] == before[SLICE_START], relation
    # ... and holds what a full refresh of the same files gives on DuckDB.
    refreshed = tmp_path / "refreshed"
    refreshed.mkdir()
    shutil.copy(project.warehouse_path("ci"), refreshed / "ci.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAOPS_WAREHOUSE_DIR", str(refreshed))
        full = run_dbt(
            Project.discover(project.root),
            ["build", "--full-refresh", *BUILD_MODELS_ONLY],
            "ci",
            artifacts / "refreshed",
        )
    assert full.success
    for schema in COMPARED_SCHEMAS:
        expected = duckdb_tables(refreshed / "ci.duckdb", schema)
        for name in python_models:
            expected.pop(name, None)
        incremental = spark_tables(schema)
        assert sorted(incremental) == sorted(expected), schema
        for table, figures in expected.items():
            assert incremental[table] == figures, f"{schema}.{table}"


def test_spark_target_reads_the_log_ingest_wrote(project_env: Project) -> None:
    """A Spark target keeps its log in a DuckDB file of its own and its Parquet copy."""
    assert project_env.engine("spark") == "spark"
    assert project_env.warehouse_path("spark") == project_env.warehouse_dir / "spark.duckdb"
    summary = ingest(project_env, "spark")
    assert summary.files == []
    export = project_env.log_export_path("spark")
    rows = duckdb.connect().execute(f"select count(*) from '{export}'").fetchall()
    assert rows == [(0,)]
