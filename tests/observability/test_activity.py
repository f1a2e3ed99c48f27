"""Who did what: the activity log, prod's signed publish record and the Activity page.

One scenario on a real week of 2013, through the ``dataops`` command as a user runs it:

1. the week 1-7 January is published by the actor CI names (``DATAOPS_ACTOR``);
2. 8 January: a publish of a copy of the project (no git) with an injected failing
   test is refused; ``dataops alert`` opens the problem;
3. the day is published by the OS user; ``dataops alert`` resolves the problem;
4. two rollbacks are started at once: both are recorded;
5. the report of prod, its Activity page in chromium.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from dataops.core.project import Project
from dataops.delivery.publish import Places
from dataops.observability import activity, report_activity

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DATAOPS = Path(sys.executable).parent / "dataops"
WEEK_START, WEEK_END, DAY = date(2013, 1, 1), date(2013, 1, 7), date(2013, 1, 8)
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)
CI_ACTOR = "ci:github-actions[bot]"


def run(env: dict, *args: str, project: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DATAOPS), *args],
        env={**env, "DATAOPS_PROJECT_DIR": str(project)},
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DATAOPS), *args],
        env={**env, "DATAOPS_PROJECT_DIR": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("activity")
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
    monkeypatch.delenv(activity.ACTOR_VARIABLE, raising=False)
    project = Project.discover(ROOT)
    steps: dict = {"env": env, "base": base, "project": project, "places": Places.of(project)}
    try:
        assert run(env, "feed", "--start", str(WEEK_START), "--end", str(WEEK_END)).returncode == 0
        steps["first"] = run({**env, activity.ACTOR_VARIABLE: CI_ACTOR}, "publish")
        assert run(env, "feed", "--start", str(DAY)).returncode == 0
        failing = base / "failing_project"
        shutil.copytree(ROOT, failing, ignore=COPY_IGNORE)
        (failing / "data_tests" / "assert_injected_failure_of_8_january.sql").write_text(
            "select * from {{ ref('fct_flights') }} where flight_date = '2013-01-08'\n",
            encoding="utf-8",
        )
        steps["refused"] = run(env, "publish", project=failing)
        steps["alert_opened"] = run(env, "alert", "--target", "prod")
        steps["second"] = run(env, "publish")
        steps["alert_resolved"] = run(env, "alert", "--target", "prod")
        both = [start(env, "rollback"), start(env, "rollback")]
        steps["rollbacks"] = [
            (process.wait(timeout=300), process.stderr.read()) for process in both
        ]
        for process in both:
            process.stdout.close()
            process.stderr.close()
        steps["report"] = run(env, "report", "--target", "prod", "-o", str(base / "report.html"))
        steps["runs"] = activity.runs(project.warehouse_dir)
        steps["lines"] = activity.log_path(project.warehouse_dir).read_text().splitlines()
        yield steps
    finally:
        monkeypatch.undo()


def only(runs: list[dict], **wanted: object) -> list[dict]:
    return [run for run in runs if all(run.get(key) == value for key, value in wanted.items())]


def test_publishes_refusal_and_rollbacks_recorded_with_actor_host_and_commit(
    scenario: dict,
) -> None:
    assert scenario["first"].returncode == 0, scenario["first"].stderr
    assert scenario["refused"].returncode == 1
    assert scenario["second"].returncode == 0, scenario["second"].stderr
    runs = scenario["runs"]
    publishes = sorted(only(runs, command="publish", target="prod"), key=lambda r: r["started_at"])
    assert [run["outcome"] for run in publishes] == ["ok", "refused", "ok"]
    first, refused, second = publishes
    # DATAOPS_ACTOR is honoured; without it, the OS user
    assert first["actor"] == CI_ACTOR
    assert refused["actor"] == second["actor"] == getpass.getuser()
    head, dirty = git("rev-parse", "HEAD"), bool(git("status", "--porcelain"))
    for run in (first, second):
        assert (run["host"], run["commit"], run["dirty"]) == (socket.gethostname(), head, dirty)
        assert run["commit_at"] == git("log", "-1", "--format=%cI")
    # the copy of the project is not a git work tree: its code is unknown, not guessed
    assert (refused["commit"], refused["dirty"]) == (activity.UNKNOWN, None)
    assert "publish blocked" in refused["reason"]
    for run in runs:
        assert run["started_at"] <= run["ended_at"]
    # the day's files: ingested by the refused publish's candidate, carried over into this one
    details = second["details"]
    assert details["files_ingested"] + details["log_rows_carried_over"] >= 1


def test_prod_publish_record_is_signed_by_its_publish(scenario: dict) -> None:
    places, runs = scenario["places"], scenario["runs"]
    publishes = only(runs, command="publish", outcome="ok")
    by_id = {run["run_id"]: run for run in publishes}
    for path in (places.prod_artifacts, places.previous_artifacts):
        record = json.loads((path / "publish.json").read_text(encoding="utf-8"))
        signed_by = by_id[record["activity_run_id"]]
        assert {key: record[key] for key in ("actor", "host", "commit", "dirty")} == {
            key: signed_by[key] for key in ("actor", "host", "commit", "dirty")
        }
        assert record["published_at"] == signed_by["details"]["published_at"]
    # each rollback that went through swapped prod and the previous prod
    rolled = len(only(runs, command="rollback", outcome="ok"))
    ordered = sorted(publishes, key=lambda run: run["started_at"])
    expected = ordered[-1] if rolled % 2 == 0 else ordered[-2]
    current = json.loads((places.prod_artifacts / "publish.json").read_text(encoding="utf-8"))
    assert current["activity_run_id"] == expected["run_id"]


def test_two_commands_at_once_are_both_recorded(scenario: dict) -> None:
    rollbacks = only(scenario["runs"], command="rollback")
    assert len(rollbacks) == 2
    assert len({run["pid"] for run in rollbacks}) == 2
    assert {run["outcome"] for run in rollbacks} <= {"ok", "refused"}
    assert sorted(code for code, _ in scenario["rollbacks"]) == sorted(
        0 if run["outcome"] == "ok" else 1 for run in rollbacks
    )
    # every line of the log is whole: two per command, none torn
    assert len(scenario["lines"]) == 2 * len(scenario["runs"])
    assert all(json.loads(line)["run_id"] for line in scenario["lines"])


def test_an_append_waits_for_the_writer_holding_the_log(tmp_path: Path) -> None:
    import fcntl

    path = activity.log_path(tmp_path)
    path.parent.mkdir(parents=True)
    with path.open("ab") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        writer = threading.Thread(
            target=activity.append, args=(tmp_path, {"run_id": "second", "event": "start"})
        )
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive() and path.read_text() == ""
        holder.write(b'{"run_id": "first", "event": "start"}\n')
        holder.flush()
        fcntl.flock(holder, fcntl.LOCK_UN)
    writer.join(timeout=10)
    assert [line["run_id"] for line in activity.read_lines(tmp_path)] == ["first", "second"]


def test_alert_opening_and_resolution_recorded(scenario: dict) -> None:
    assert scenario["alert_opened"].returncode == 0, scenario["alert_opened"].stderr
    alerts = sorted(only(scenario["runs"], command="alert"), key=lambda r: r["started_at"])
    opened, resolved = alerts
    assert "publish:prod" in opened["details"]["opened"]
    keys = [problem["key"] for problem in resolved["details"]["resolved"]]
    assert "publish:prod" in keys
    refused = only(scenario["runs"], command="publish", outcome="refused")[0]
    refused_at = report_activity.parse_time(refused["ended_at"])
    resolved_at = report_activity.parse_time(resolved["ended_at"])
    for problem in resolved["details"]["resolved"]:
        opened_at = report_activity.parse_time(problem["opened_at"])
        assert refused_at.replace(microsecond=0) <= opened_at <= resolved_at


def test_activity_figures_per_week_from_the_log(scenario: dict) -> None:
    project, runs = scenario["project"], scenario["runs"]
    places = scenario["places"]
    import duckdb

    con = duckdb.connect(str(places.prod), read_only=True)
    try:
        page = report_activity.collect(con, places.prod)
        received = con.execute(
            "select count(*) from landing.ingested_files where status = 'landed'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert page["recorded"] == len(runs) == len(page["runs"])
    weeks = page["weeks"]
    publishes = only(runs, command="publish", target="prod")
    assert sum(week["publishes"] for week in weeks) == len(publishes) == 3
    assert sum(week["refused"] for week in weeks) == 1
    # every landed file of prod was received during a recorded publish, and carried into prod
    assert sum(week["arrival_to_prod_cases"] for week in weeks) == received
    assert sum(week["alert_to_resolution_cases"] for week in weeks) >= 1
    assert sum(week["commit_to_publish_cases"] for week in weeks) == 1
    assert {target for target in page["targets"]} >= {"prod"}
    assert project.warehouse_dir == report_activity.warehouse_dir_of(places.prod)


def test_activity_page_renders_in_chromium(scenario: dict, browser) -> None:
    assert scenario["report"].returncode == 0, scenario["report"].stderr
    page = browser.page
    page.goto((scenario["base"] / "report.html").as_uri())
    payload = page.evaluate("window.REPORT.activity")
    page.click("#tabs button[data-page=activity]")
    page.wait_for_selector("#activity-runs tbody tr")
    page.wait_for_selector("#chart-activity .main-svg")
    rows = page.locator("#activity-runs tbody tr")
    assert rows.count() == len(payload["runs"]) == len(scenario["runs"])
    # newest first, and the first row is the latest command
    assert (
        page.inner_text("#activity-runs tbody tr:first-child td:nth-child(3)")
        == (scenario["runs"][0]["command"])
    )
    page.select_option("#activity-target", "prod")
    assert rows.count() == len(only(scenario["runs"], target="prod"))
    assert page.locator("#activity-weeks tbody tr").count() == len(payload["weeks"])
    assert CI_ACTOR in page.inner_text("#activity-runs")
    browser.shot("report-activity")
    assert browser.external == []
    assert browser.errors == []
