"""The day's publish into prod, end to end on real days of 2013 fed by ``dataops feed``.

One scenario, step by step, through the CLI:

1. nothing landed anywhere: ``dataops publish`` is refused (no prod created, the refusal
   recorded) and ``dataops sandbox create`` names the command that works;
2. a week fed and ingested for ``dev`` (what ``dataops demo`` does, on a week): the sandbox
   advice now says ``dataops publish``, and that publish takes the files dev landed into
   prod, saying so in one line;
3. a day fed again: ingest says why nothing landed;
4. 8 January published as the day's work: partial parsing, per-phase seconds, and every
   table equal to a ``--full-refresh`` publish of the same eight days in another warehouse;
5. a project whose public mart drops a day: the publish is refused (prod and dbt's kept
   parse state untouched), ``--allow-shrink`` publishes it and records it.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.core.project import Project
from dataops.delivery.publish import Places
from tests.delivery.test_delivery import copy_project, run, sha256

pytestmark = pytest.mark.e2e

WEEK_START, WEEK_END, DAY = date(2013, 1, 1), date(2013, 1, 7), date(2013, 1, 8)
# 9 January's file also sends a flight of 4 January again; 10 January's rows break a
# stricter bound on the departure delay than the one its quarantine rule applies.
RESENT_IN, OLD_DAY, BROKEN_DAY = date(2013, 1, 9), date(2013, 1, 4), date(2013, 1, 10)
STRICT_MAX_DELAY = 300
REFED_DAY = date(2013, 1, 3)
SHRUNK_MART = "mart_performance__days"
DROPPED_DAY = "2013-01-02"
ZONES = ("landing", "staging", "trusted", "quarantine", "marts", "snapshots")
# Columns a load writes from its clock or its run, not from the files: when a file was
# received or ingested (received_at, _received_at, _ingested_at) and its log row's id
# (file_id, a uuid drawn at ingestion), when a model processed a row (_processed_at) or a day
# changed (changed_at); the snapshots' validity and row ids (dbt_* from the snapshot's run
# time) and what the reference models read off them: <entity>_version_id is dbt_scd_id,
# valid_from, valid_to, current_version_valid_from, registered_at and first_registered_at
# are dbt_valid_from / dbt_valid_to.
LOAD_TIME_COLUMNS = frozenset(
    {
        "file_id",
        "received_at",
        "_received_at",
        "_ingested_at",
        "_processed_at",
        "changed_at",
        "dbt_scd_id",
        "dbt_updated_at",
        "dbt_valid_from",
        "dbt_valid_to",
        "airline_version_id",
        "airport_version_id",
        "plane_version_id",
        "valid_from",
        "valid_to",
        "current_version_valid_from",
        "registered_at",
        "first_registered_at",
    }
)
# The ingestion log's rows of duplicates record arrivals, not data: every dataops feed call
# writes the reference extracts again (a day fed alone brings them once more, the same bytes),
# so the log compares its landed files only.
INGESTION_LOG = {"landing.ingested_files", "landing.ldg_ingestion__ingested_files"}


def environment(base: Path) -> dict:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DATAOPS_", "DBT_"))
    }
    env["DATAOPS_DATA_DIR"] = str(base / "data")
    env["DATAOPS_WAREHOUSE_DIR"] = str(base / "warehouse")
    return env


def said(result) -> str:
    return result.stdout + result.stderr


def history(places: Places) -> list[dict]:
    if not places.history.exists():
        return []
    return [json.loads(line) for line in places.history.read_text(encoding="utf-8").splitlines()]


def tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    rows = con.execute(
        "select schema_name, table_name, list(column_name order by column_index)"
        " from duckdb_columns() where database_name = ? and list_contains(?, schema_name)"
        " group by all",
        [database, list(ZONES)],
    ).fetchall()
    return {f"{schema}.{name}": columns for schema, name, columns in rows}


def differences(daily: Path, refreshed: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The relations of both warehouses, and per relation the rows only one of them has."""
    with duckdb.connect() as con:
        con.execute("attach ? as daily (read_only)", [str(daily)])
        con.execute("attach ? as refreshed (read_only)", [str(refreshed)])
        found = tables(con, "daily")
        assert found.keys() == tables(con, "refreshed").keys()
        apart = {}
        for relation, columns in found.items():
            kept = ", ".join(f'"{name}"' for name in columns if name not in LOAD_TIME_COLUMNS)
            landed = " where status = 'landed'" if relation in INGESTION_LOG else ""
            one, two = (
                f"select {kept} from {side}.{relation}{landed}" for side in ("daily", "refreshed")
            )
            apart[relation] = con.execute(
                f"select (select count(*) from ({one} except all {two}))"
                f" + (select count(*) from ({two} except all {one}))"
            ).fetchall()[0][0]
    return found, apart


def mart_days(prod: Path) -> list[date]:
    with duckdb.connect(str(prod), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                f"select flight_date from marts.{SHRUNK_MART} order by 1"
            ).fetchall()
        ]


def day_flights(prod: Path, day: date) -> list[tuple]:
    with duckdb.connect(str(prod), read_only=True) as con:
        return con.execute(
            "select * exclude (_processed_at) from marts.fct_flights where flight_date = ?"
            " order by flight_id",
            [day],
        ).fetchall()


def old_flight_row(base: Path, day: date) -> str:
    """The first flight of ``day``'s flights file as the feed sends it, to send again."""
    scratch = environment(base)
    assert run(scratch, "feed", "--start", str(day)).returncode == 0
    (sent,) = (base / "data" / "inbox" / "flights").glob(f"*{day}*")
    return sent.read_text(encoding="utf-8").splitlines()[1] + "\n"


def quarantined(prod: Path, day: date) -> list[tuple]:
    with duckdb.connect(str(prod), read_only=True) as con:
        return con.execute(
            "select rule_id, flight_date from quarantine.quarantine_flights"
            " where _file_date = ? and rule_id = 'flights_dated_outside_file'",
            [day],
        ).fetchall()


def late_departures(warehouse: Path) -> dict:
    """Flights beyond the strict bound in the candidate: written by its build, and all."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        written, every, days = con.execute(
            "select count(*) filter (where _processed_at = last), count(*),"
            " list(distinct flight_date order by flight_date)"
            " filter (where _processed_at = last)"
            " from marts.fct_flights,"
            " (select max(_processed_at) as last from marts.fct_flights)"
            " where departure_delay_minutes > ?",
            [STRICT_MAX_DELAY],
        ).fetchone()
    return {"written": written, "every": every, "days": days}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("publish")
    env = environment(base)
    monkeypatch = pytest.MonkeyPatch()
    for key in ("DATAOPS_DATA_DIR", "DATAOPS_WAREHOUSE_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(Path(__file__).parents[2])
        places = Places.of(project)
        steps: dict = {"places": places}

        # 1. nothing landed anywhere
        steps["empty_publish"] = run(env, "publish")
        steps["empty_prod"] = places.prod.exists()
        steps["empty_history"] = history(places)
        steps["empty_sandbox"] = run(env, "sandbox", "create", "alice")

        # 2. a week landed for dev, then published into prod
        assert run(env, "feed", "--start", str(WEEK_START), "--end", str(WEEK_END)).returncode == 0
        assert run(env, "ingest").returncode == 0
        steps["landed_sandbox"] = run(env, "sandbox", "create", "alice")
        steps["first"] = run(env, "publish")
        steps["first_days"] = mart_days(places.prod)

        # 3. a day fed again
        assert run(env, "feed", "--start", str(REFED_DAY)).returncode == 0
        steps["refed_ingest"] = run(env, "ingest")

        # 4. the next day, published as the day's work
        assert run(env, "feed", "--start", str(DAY)).returncode == 0
        steps["daily"] = run(env, "publish")
        steps["daily_record"] = json.loads(
            (places.prod_artifacts / "publish.json").read_text(encoding="utf-8")
        )
        steps["daily_results"] = json.loads(
            (places.prod_artifacts / "run_results.json").read_text(encoding="utf-8")
        )
        # the same eight days, published at once with --full-refresh in another warehouse
        other = environment(base / "refreshed")
        assert run(other, "feed", "--start", str(WEEK_START), "--end", str(DAY)).returncode == 0
        steps["refreshed"] = run(other, "publish", "--full-refresh")
        refreshed_prod = base / "refreshed" / "warehouse" / places.prod.name
        if steps["refreshed"].returncode == 0:  # compared now: step 5 changes prod
            steps["found"], steps["apart"] = differences(places.prod, refreshed_prod)

        # 4b. the next day's file also sends a flight of an old day again
        assert run(env, "feed", "--start", str(RESENT_IN)).returncode == 0
        steps["old_day_before"] = day_flights(places.prod, OLD_DAY)
        flights_file = next((base / "data" / "inbox" / "flights").glob(f"*{RESENT_IN}*"))
        resent = old_flight_row(base / "scratch", OLD_DAY)
        with flights_file.open("a", encoding="utf-8") as out:
            out.write(resent)
        steps["resent"] = run(env, "publish")
        steps["old_day_after"] = day_flights(places.prod, OLD_DAY)
        steps["resent_quarantined"] = quarantined(places.prod, RESENT_IN)

        # 4c. a blocking test broken by rows of the new day alone: the day's audit reads them
        strict = copy_project(base / "strict_project")
        facts = strict / "models" / "marts" / "core" / "fct_flights.yml"
        yml = facts.read_text(encoding="utf-8")
        bound = "max_value: \"{{ var('max_departure_delay_minutes') }}\""
        assert yml.count(bound) == 1
        facts.write_text(yml.replace(bound, f"max_value: {STRICT_MAX_DELAY}"), encoding="utf-8")
        assert run(env, "feed", "--start", str(BROKEN_DAY)).returncode == 0
        steps["before_strict_sha"] = sha256(places.prod)
        steps["strict"] = run(env, "publish", project=strict)
        steps["strict_sha"] = sha256(places.prod)
        steps["strict_results"] = json.loads(
            (places.candidate_artifacts / "target" / "run_results.json").read_text(encoding="utf-8")
        )
        steps["strict_late"] = late_departures(places.candidate)

        # 5. a project whose public mart drops a day
        shrinking = copy_project(base / "shrinking_project")
        model = next((shrinking / "models" / "marts").rglob(f"{SHRUNK_MART}.sql"))
        sql = model.read_text(encoding="utf-8")
        assert "    from flights\n    group by 1" in sql
        model.write_text(
            sql.replace(
                "    from flights\n    group by 1",
                f"    from flights\n    where flight_date <> '{DROPPED_DAY}'\n    group by 1",
            ),
            encoding="utf-8",
        )
        steps["before_shrink_sha"] = sha256(places.prod)
        steps["before_shrink_parse"] = sha256(places.parse_state)
        steps["shrink"] = run(env, "publish", "--full-refresh", project=shrinking)
        steps["shrink_sha"] = sha256(places.prod)
        steps["shrink_parse"] = sha256(places.parse_state)
        steps["shrink_history"] = history(places)
        steps["allowed"] = run(
            env, "publish", "--full-refresh", "--allow-shrink", project=shrinking
        )
        steps["allowed_days"] = mart_days(places.prod)
        steps["allowed_record"] = json.loads(
            (places.prod_artifacts / "publish.json").read_text(encoding="utf-8")
        )
        yield steps
    finally:
        monkeypatch.undo()
        shutil.rmtree(base, ignore_errors=True)


def test_nothing_to_publish_is_refused_and_recorded(scenario: dict) -> None:
    result = scenario["empty_publish"]
    assert result.returncode == 1, said(result)
    assert "nothing to publish" in said(result)
    assert "dataops feed" in said(result)
    assert "PASS=" not in said(result)
    # one message: no empty ingest summary before it
    assert "landed" not in result.stdout and "nothing to ingest" not in said(result)
    assert not scenario["empty_prod"]
    (record,) = scenario["empty_history"]
    assert record["status"] == "refused"
    assert "nothing to publish" in record["reason"]


def test_sandbox_advice_names_the_command_that_works(scenario: dict) -> None:
    empty, landed = scenario["empty_sandbox"], scenario["landed_sandbox"]
    assert empty.returncode == 1 and landed.returncode == 1
    # nothing landed: feeding comes first; files landed for dev: a publish takes them
    assert "dataops feed" in said(empty)
    assert "dataops publish" in said(landed)
    assert "files other targets landed" in said(landed)


def test_publish_after_an_ingest_for_dev_takes_its_files_into_prod(scenario: dict) -> None:
    result = scenario["first"]
    assert result.returncode == 0, said(result)
    days = (WEEK_END - WEEK_START).days + 1
    assert scenario["first_days"] == [
        date.fromordinal(WEEK_START.toordinal() + n) for n in range(days)
    ]
    assert "already complete" not in said(result)
    adopted = [
        line for line in result.stdout.splitlines() if "already landed by target dev" in line
    ]
    assert len(adopted) == 1, result.stdout


def test_ingest_of_a_day_fed_again_says_why_nothing_landed(scenario: dict) -> None:
    result = scenario["refed_ingest"]
    assert result.returncode == 0, said(result)
    assert "nothing new" in said(result)
    assert "dataops publish" in said(result)


def test_daily_publish_parses_partially_and_records_its_phases(scenario: dict) -> None:
    first, daily = scenario["first"], scenario["daily"]
    assert daily.returncode == 0, said(daily)
    assert "Unable to do partial parsing because saved manifest not found" in said(first)
    assert "Unable to do partial parsing" not in said(daily)
    record = scenario["daily_record"]
    assert record["status"] == "published"
    assert record["selection"] == "daily"
    assert {"prepare", "ingest", "parse", "build", "swap"} <= record["phases"].keys()
    assert all(seconds >= 0 for seconds in record["phases"].values())


def test_daily_publish_runs_the_zone_conservation_tests(scenario: dict) -> None:
    ran = {result["unique_id"].split(".")[2] for result in scenario["daily_results"]["results"]}
    assert "assert_staging_rows_equal_trusted_plus_quarantined_rows" in ran
    assert "assert_fct_flights_keeps_every_trusted_flight" in ran


def test_daily_publish_equals_a_full_refresh_of_the_same_files(scenario: dict) -> None:
    assert scenario["refreshed"].returncode == 0, said(scenario["refreshed"])
    found, apart = scenario["found"], scenario["apart"]
    assert {relation.split(".")[0] for relation in found} == set(ZONES)
    assert {relation: rows for relation, rows in apart.items() if rows} == {}


def test_public_mart_losing_a_day_is_refused_then_allowed_deliberately(scenario: dict) -> None:
    refused = scenario["shrink"]
    assert refused.returncode == 1, said(refused)
    assert "publish refused" in said(refused) and "--allow-shrink" in said(refused)
    assert SHRUNK_MART in said(refused)
    assert scenario["shrink_sha"] == scenario["before_shrink_sha"]
    # a publish that did not go through keeps dbt's parse state of the last one that did
    assert scenario["shrink_parse"] == scenario["before_shrink_parse"]
    last = scenario["shrink_history"][-1]
    assert last["status"] == "refused" and SHRUNK_MART in last["reason"]

    allowed = scenario["allowed"]
    assert allowed.returncode == 0, said(allowed)
    assert date.fromisoformat(DROPPED_DAY) not in scenario["allowed_days"]
    record = scenario["allowed_record"]
    assert record["allow_shrink"] is True
    (change,) = [change for change in record["public_marts"] if change["mart"] == SHRUNK_MART]
    assert change["days_lost"] == 1


def test_a_day_sending_a_flight_of_an_old_day_leaves_that_day_as_it_was(scenario: dict) -> None:
    assert scenario["resent"].returncode == 0, said(scenario["resent"])
    assert scenario["old_day_after"] == scenario["old_day_before"]
    assert [day for _, day in scenario["resent_quarantined"]] == [OLD_DAY]


def test_the_day_audit_reads_the_rows_it_wrote_and_still_blocks_on_them(scenario: dict) -> None:
    """A blocking test of an incremental model reads the day's rows, not the history."""
    strict = scenario["strict"]
    assert strict.returncode == 1, said(strict)
    assert scenario["strict_sha"] == scenario["before_strict_sha"]
    results = {
        result["unique_id"].split(".")[2]: result
        for result in scenario["strict_results"]["results"]
    }
    (name,) = [name for name in results if name.startswith("accepted_range_fct_flights_dep")]
    failing = results[name]
    assert failing["status"] == "fail"
    late = scenario["strict_late"]
    # the test counted the late departures its build wrote (the new day, and the day before
    # it, which the new day's weather recomputes), not the history's
    assert late["every"] > late["written"] > 0
    assert BROKEN_DAY in late["days"] and len(late["days"]) <= 2
    assert failing["failures"] == late["written"]
    assert "_processed_at >=" in failing["compiled_code"]
    # a staging view's tests read the rows of the files received after prod's newest
    staged = results["not_null_stg_flights__flights_flight_id"]
    assert "_ingested_at > cast(" in staged["compiled_code"]
    # a table's tests read it whole
    unique_airports = results["unique_dim_airports_airport_id"]
    assert "_processed_at" not in unique_airports["compiled_code"]
    # unit tests check code (CI, the full audit), not the day's data
    ran = [result["unique_id"] for result in scenario["strict_results"]["results"]]
    assert ran and not [name for name in ran if name.startswith("unit_test.")]
