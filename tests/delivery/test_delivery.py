"""Write-audit-publish, rollback, sandboxes and slim CI, end to end on a real week of 2013.

One scenario, step by step, on real data fed by ``dataops feed``:

1. the week 1-7 January is published into a prod that does not exist yet;
2. 8 January arrives; a publish of a project with an injected failing test is
   blocked: prod unchanged byte for byte, candidate kept, failures printed;
3. the same day is published by the real project while a reader process
   queries prod in a loop: it sees the old or the new prod, never an error;
4. rollback restores the first prod byte for byte, a second one rolls forward;
5. a publish of 9 January is killed halfway: prod unchanged byte for byte, and
   the next publish loads the day;
6. a sandbox is created, built in and dropped;
7. ``dataops ci`` on a project whose one mart changed builds that subgraph
   only and its diff shows the change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.ci import run_ci
from dataops.delivery.publish import Places
from dataops.delivery.sandbox import build_in, create, drop, list_sandboxes
from tests.core.test_pipeline import flights_between

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DATAOPS = Path(sys.executable).parent / "dataops"
WEEK_START, WEEK_END = date(2013, 1, 1), date(2013, 1, 7)
DAY, KILLED_DAY, UPGRADE_DAY = date(2013, 1, 8), date(2013, 1, 9), date(2013, 1, 10)
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)
INJECTED_TEST = "assert_injected_failure_flights_of_8_january"
CHANGED_MART = "mart_performance__days"

READER = """
import sys, time, duckdb
prod, stop, out = sys.argv[1:4]
with open(out, "w") as log:
    while True:
        stopping = __import__("os").path.exists(stop)
        try:
            con = duckdb.connect(prod, read_only=True)
            try:
                count = con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
            finally:
                con.close()
            log.write(f"ok {count}\\n")
        except Exception as error:  # every failure is recorded, the test fails on it
            log.write(f"error {type(error).__name__}: {error}\\n".replace("\\n", " ") + "\\n")
        log.flush()
        if stopping:
            break
        time.sleep(0.02)
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prod_flights(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
    finally:
        con.close()


def copy_project(folder: Path) -> Path:
    shutil.copytree(ROOT, folder, ignore=COPY_IGNORE)
    return folder


def run(env: dict, *args: str, project: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DATAOPS), *args],
        env={**env, "DATAOPS_PROJECT_DIR": str(project)},
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("delivery")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DATAOPS_", "DBT_"))
    }
    env["DATAOPS_DATA_DIR"] = str(base / "data")
    env["DATAOPS_WAREHOUSE_DIR"] = str(base / "warehouse")
    monkeypatch = pytest.MonkeyPatch()
    for key in ("DATAOPS_DATA_DIR", "DATAOPS_WAREHOUSE_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(ROOT)
    places = Places.of(project)
    steps: dict = {"env": env, "base": base, "project": project, "places": places}
    try:
        # 1. the first publish: no prod yet
        assert run(env, "feed", "--start", str(WEEK_START), "--end", str(WEEK_END)).returncode == 0
        steps["first"] = run(env, "publish")
        steps["first_sha"] = sha256(places.prod)
        steps["first_flights"] = prod_flights(places.prod)
        steps["first_artifacts"] = json.loads(
            (places.prod_artifacts / "publish.json").read_text(encoding="utf-8")
        )

        # 2. a publish blocked by an injected failing test
        assert run(env, "feed", "--start", str(DAY)).returncode == 0
        failing = copy_project(base / "failing_project")
        (failing / "data_tests" / f"{INJECTED_TEST}.sql").write_text(
            "select * from {{ ref('fct_flights') }} where flight_date = '2013-01-08'\n",
            encoding="utf-8",
        )
        steps["blocked"] = run(env, "publish", project=failing)
        steps["blocked_sha"] = sha256(places.prod)
        steps["blocked_candidate"] = places.candidate.exists()

        # 3. the day published while a reader queries prod in a loop
        stop, reads = base / "stop-reader", base / "reads.txt"
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(places.prod), str(stop), str(reads)]
        )
        time.sleep(1)
        steps["second"] = run(env, "publish")
        time.sleep(1)
        stop.touch()
        reader.wait(timeout=60)
        steps["reads"] = reads.read_text(encoding="utf-8").splitlines()
        steps["second_sha"] = sha256(places.prod)
        steps["second_flights"] = prod_flights(places.prod)

        # 4. rollback, then roll forward
        steps["rollback"] = run(env, "rollback")
        steps["rolled_back_sha"] = sha256(places.prod)
        steps["rolled_back_previous_sha"] = sha256(places.previous)
        steps["roll_forward"] = run(env, "rollback")
        steps["rolled_forward_sha"] = sha256(places.prod)

        # 5. a publish killed while dbt builds the candidate
        assert run(env, "feed", "--start", str(KILLED_DAY)).returncode == 0
        dbt_log = places.candidate_artifacts / "logs" / "dbt.log"
        killed = subprocess.Popen(
            [str(DATAOPS), "publish"],
            env={**env, "DATAOPS_PROJECT_DIR": str(ROOT)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and killed.poll() is None:
            if dbt_log.exists() and "OK created sql table model" in dbt_log.read_text(
                encoding="utf-8", errors="replace"
            ):
                break
            time.sleep(0.2)
        steps["killed_while_running"] = killed.poll() is None
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
        steps["killed_sha"] = sha256(places.prod)
        steps["after_kill"] = run(env, "publish")
        steps["after_kill_flights"] = prod_flights(places.prod)

        # 6. a change that adds a column to an incremental model: the plain publish's
        # build fails on the schema change, a publish --full-refresh upgrades prod
        assert run(env, "feed", "--start", str(UPGRADE_DAY)).returncode == 0
        upgraded = copy_project(base / "upgraded_project")
        model = upgraded / "models" / "trusted" / "int_flights_validated.sql"
        sql = model.read_text(encoding="utf-8")
        assert "        {{ processed_at() }} as _processed_at" in sql
        model.write_text(
            sql.replace(
                "        {{ processed_at() }} as _processed_at",
                "        'v2' as rules_version,\n        {{ processed_at() }} as _processed_at",
            ),
            encoding="utf-8",
        )
        steps["before_upgrade_sha"] = sha256(places.prod)
        steps["upgrade_plain"] = run(env, "publish", project=upgraded)
        steps["upgrade_plain_sha"] = sha256(places.prod)
        steps["upgrade_refresh"] = run(env, "publish", "--full-refresh", project=upgraded)
        steps["upgrade_flights"] = prod_flights(places.prod)
        con = duckdb.connect(str(places.prod), read_only=True)
        try:
            steps["upgrade_versions"] = con.execute(
                "select distinct rules_version from trusted.int_flights_validated"
            ).fetchall()
        finally:
            con.close()
        # back to the prod (and state) of this checkout's models, for the tests below
        steps["upgrade_rollback"] = run(env, "rollback")
        yield steps
    finally:
        monkeypatch.undo()


def test_first_publish_builds_prod_and_saves_its_state(scenario: dict) -> None:
    places = scenario["places"]
    assert scenario["first"].returncode == 0, scenario["first"].stderr
    assert scenario["first_flights"] == flights_between(WEEK_START, WEEK_END)
    for name in ("manifest.json", "run_results.json", "publish.json"):
        assert (places.prod_artifacts / name).is_file()
    assert scenario["first_artifacts"]["tests"].get("fail", 0) == 0
    assert scenario["first_artifacts"]["files_ingested"] > 0


def test_publish_blocked_by_a_failing_test_leaves_prod_untouched(scenario: dict) -> None:
    blocked = scenario["blocked"]
    assert blocked.returncode == 1
    assert scenario["blocked_sha"] == scenario["first_sha"]
    assert scenario["blocked_candidate"], "the candidate is kept for inspection"
    failing_rows = flights_between(DAY, DAY)
    assert f"test.nycflights.{INJECTED_TEST}" in blocked.stdout
    assert f"({failing_rows:,} failing rows)" in blocked.stdout
    assert "publish blocked" in blocked.stderr and "prod unchanged" in blocked.stderr


def test_publish_swaps_and_carries_over_the_blocked_files(scenario: dict) -> None:
    assert scenario["second"].returncode == 0, scenario["second"].stderr
    assert scenario["second_sha"] != scenario["first_sha"]
    # 8 January was ingested by the blocked publish; the next one loads it
    assert scenario["second_flights"] == flights_between(WEEK_START, DAY)
    assert "published:" in scenario["second"].stdout


def test_readers_see_the_old_or_the_new_prod_never_an_error(scenario: dict) -> None:
    reads = scenario["reads"]
    errors = [line for line in reads if not line.startswith("ok ")]
    assert not errors, errors[:3]
    counts = [int(line.split()[1]) for line in reads]
    before, after = scenario["first_flights"], scenario["second_flights"]
    assert set(counts) == {before, after}
    # once the new prod is seen, the old one never comes back
    assert counts == sorted(counts)


def test_rollback_restores_the_previous_prod_byte_for_byte(scenario: dict) -> None:
    assert scenario["rollback"].returncode == 0, scenario["rollback"].stderr
    assert scenario["rolled_back_sha"] == scenario["first_sha"]
    assert scenario["rolled_back_previous_sha"] == scenario["second_sha"]
    assert scenario["roll_forward"].returncode == 0
    assert scenario["rolled_forward_sha"] == scenario["second_sha"]


def test_killed_publish_leaves_prod_unchanged(scenario: dict) -> None:
    assert scenario["killed_while_running"], "the publish ended before it could be killed"
    assert scenario["killed_sha"] == scenario["second_sha"]
    after = scenario["after_kill"]
    assert after.returncode == 0, after.stderr
    assert scenario["after_kill_flights"] == flights_between(WEEK_START, KILLED_DAY)


def test_publish_full_refresh_upgrades_prod_after_a_model_gains_a_column(
    scenario: dict,
) -> None:
    plain = scenario["upgrade_plain"]
    assert plain.returncode == 1
    assert "publish blocked" in plain.stderr and "prod unchanged" in plain.stderr
    assert scenario["upgrade_plain_sha"] == scenario["before_upgrade_sha"]
    refresh = scenario["upgrade_refresh"]
    assert refresh.returncode == 0, refresh.stderr
    assert scenario["upgrade_versions"] == [("v2",)]
    assert scenario["upgrade_flights"] == flights_between(WEEK_START, UPGRADE_DAY)
    assert scenario["upgrade_rollback"].returncode == 0, scenario["upgrade_rollback"].stderr


def test_sandbox_created_built_and_dropped(scenario: dict) -> None:
    project, places = scenario["project"], scenario["places"]
    prod_sha = sha256(places.prod)
    path = create(project, "alice")
    assert [info.name for info in list_sandboxes(project)] == ["alice"]
    with pytest.raises(DataOpsError, match="exists"):
        create(project, "alice")
    outcome = build_in(project, "alice", [CHANGED_MART], artifacts_dir=scenario["base"] / "sbx")
    assert outcome.success and outcome.models.get("success") == 1
    con = duckdb.connect(str(path), read_only=True)
    try:
        kinds = dict(
            con.execute(
                "select table_name, 'table' from duckdb_tables() where schema_name = 'marts'"
                " union all select view_name, 'view' from duckdb_views()"
                " where schema_name = 'marts' and not internal"
            ).fetchall()
        )
    finally:
        con.close()
    # the model built is a table of the sandbox; the rest are views over prod
    assert kinds[CHANGED_MART] == "table"
    assert kinds["fct_flights"] == "view"
    assert sha256(places.prod) == prod_sha
    drop(project, "alice")
    assert not path.exists() and list_sandboxes(project) == []
    with pytest.raises(DataOpsError, match="cannot name a sandbox"):
        create(project, "prod")


def test_ci_builds_only_the_changed_subgraph_and_diffs_it(scenario: dict) -> None:
    base, places = scenario["base"], scenario["places"]
    changed = copy_project(base / "changed_project")
    model = changed / "models" / "marts" / "performance" / f"{CHANGED_MART}.sql"
    sql = model.read_text(encoding="utf-8")
    old_line = "        performance_by_day.average_departure_delay_minutes,\n"
    assert sql.count(old_line) == 1
    model.write_text(
        sql.replace(
            old_line,
            "        round(performance_by_day.average_departure_delay_minutes)\n"
            "            as average_departure_delay_minutes,\n",
        ),
        encoding="utf-8",
    )
    outcome = run_ci(Project(changed), artifacts_dir=base / "ci")
    assert outcome.build.success

    manifest = json.loads((base / "ci" / "target" / "manifest.json").read_text())
    changed_id = f"model.nycflights.{CHANGED_MART}"
    subgraph, frontier = {changed_id}, [changed_id]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child not in subgraph:
                subgraph.add(child)
                frontier.append(child)
    assert set(outcome.build.executed) == subgraph
    assert len(outcome.build.executed) < len(manifest["nodes"]) / 10

    con = duckdb.connect(str(places.prod), read_only=True)
    try:
        days, fractional = con.execute(
            f"select count(*), count(*) filter (where average_departure_delay_minutes"
            f" <> round(average_departure_delay_minutes)) from marts.{CHANGED_MART}"
        ).fetchall()[0]
    finally:
        con.close()
    (diff,) = outcome.diffs
    assert diff.name == CHANGED_MART and diff.key == ["flight_date"]
    assert (diff.prod_rows, diff.change_rows, diff.added, diff.removed) == (days, days, 0, 0)
    assert diff.changed == fractional > 0
    assert diff.changed_columns == {"average_departure_delay_minutes": fractional}
    assert diff.samples and all(
        c == "average_departure_delay_minutes" for _, c, _, _ in diff.samples
    )
    assert f"`marts.{CHANGED_MART}`" in outcome.markdown
    assert "| `average_departure_delay_minutes` |" in outcome.markdown


def test_build_and_ingest_never_write_prod_in_place(project_env: Project) -> None:
    from dataops.cli import main

    for command in ("build", "ingest", "demo"):
        assert main([command, "--target", "prod"]) == 1
    assert not project_env.warehouse_path("prod").exists()
