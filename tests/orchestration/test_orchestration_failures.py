"""Runs that fail, in-process on a real day: retried for a lock, never for a failing test; alerted.

- A reader holds the warehouse (DuckDB's lock) when ingest starts: the step is
  tried again and the run succeeds once the reader is gone.
- A project with an injected error-severity test: the build fails at once (no
  retry), its alert reaches the local webhook with the test's name and count,
  and the run-failure sensor sends nothing more.
- A landed file changed: the build is refused before dbt (nothing in the
  history), so the run-failure sensor alerts it; the job's next success
  resolves it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    build_run_status_sensor_context,
)

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.observability import activity
from dataops.orchestration.definitions import build_definitions
from dataops.orchestration.failures import ALERTED
from dataops.orchestration.settings import Settings
from tests.observability.test_alerts import COPY_IGNORE, Webhook

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
INJECTED = "assert_injected_airlines_failure"
AIRLINES = AssetKey(["trusted", "trusted_airlines"])
READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> Iterator[dict]:
    """A copy of the project whose trusted_airlines has a failing error-severity test."""
    base = tmp_path_factory.mktemp("failures")
    shutil.copytree(ROOT, base / "project", ignore=COPY_IGNORE)
    (base / "project" / "data_tests" / f"{INJECTED}.sql").write_text(
        "select * from {{ ref('trusted_airlines') }}\n", encoding="utf-8"
    )
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(base / "project"))
        monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
        monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
        monkeypatch.setenv("DAGSTER_HOME", str(base / "dagster"))
        monkeypatch.setenv("DATAOPS_INBOX_SETTLE_SECONDS", "0")
        monkeypatch.delenv("DBT_TARGET", raising=False)
        monkeypatch.delenv("DATAOPS_ORCHESTRATION_TARGET", raising=False)
        project = Project.discover()
        settings = Settings(project, "ci")
        feed(feeds, project.inbox_dir, date(2013, 1, 1), date(2013, 1, 1))
        yield {
            "settings": settings,
            "defs": build_definitions(settings),
            "monkeypatch": monkeypatch,
        }
    finally:
        monkeypatch.undo()


def run(defs: Definitions, instance: DagsterInstance, keys: set[AssetKey]):
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance, asset_selection=list(keys), raise_on_error=False
    )


def events_of(result, kind: DagsterEventType) -> list:
    return [event for event in result.all_events if event.event_type == kind]


def messages(error) -> list[str]:
    """The messages of an error and of the errors that caused it."""
    found = []
    while error is not None:
        found.append(error.message)
        error = error.cause or error.context
    return found


def failure_sensor_context(defs: Definitions, instance: DagsterInstance, result):
    failure = (
        instance.get_records_for_run(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
        .records[0]
        .event_log_entry.dagster_event
    )
    return build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ).for_run_failure()


def test_a_lock_held_by_a_reader_is_retried_until_it_is_released(injected: dict) -> None:
    settings: Settings = injected["settings"]
    defs: Definitions = injected["defs"]
    warehouse = settings.project.warehouse_path("ci")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(warehouse)).close()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse), "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        ingest = defs.resolve_assets_def(AssetKey(["flights", "flights"]))
        with DagsterInstance.ephemeral() as instance:
            started = time.monotonic()
            result = run(defs, instance, set(ingest.keys))
            waited = time.monotonic() - started
    finally:
        reader.wait(timeout=60)
    assert result.success
    retries = events_of(result, DagsterEventType.STEP_UP_FOR_RETRY)
    assert retries and {event.step_key for event in retries} == {"ingest"}
    assert "locked by another process" in " ".join(messages(retries[0].event_specific_data.error))
    assert waited >= 3  # it succeeded once the reader had let go
    assert not list((settings.project.inbox_dir / "flights").glob("*.csv"))  # ingested


def test_a_failing_test_fails_the_build_at_once_and_is_alerted_once(
    injected: dict, webhook: Webhook
) -> None:
    settings: Settings = injected["settings"]
    defs: Definitions = injected["defs"]
    injected["monkeypatch"].setenv("DATAOPS_ALERT_URLS", webhook.url)
    keys = AssetSelection.assets(AIRLINES).upstream().resolve(defs.resolve_asset_graph())
    with DagsterInstance.ephemeral() as instance:
        result = run(defs, instance, keys)
        assert not result.success
        assert events_of(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
        (failure,) = events_of(result, DagsterEventType.STEP_FAILURE)
        data = failure.step_failure_data.user_failure_data
        assert INJECTED in data.description
        assert data.metadata[ALERTED].value is True
        check = [
            item for item in result.get_asset_check_evaluations() if item.check_name == INJECTED
        ]
        assert len(check) == 1 and not check[0].passed
        con = duckdb.connect(str(settings.project.warehouse_path("ci")), read_only=True)
        try:
            airlines = con.execute("select count(*) from trusted.trusted_airlines").fetchall()[0][0]
        finally:
            con.close()
        messages = [message for message in webhook.take() if INJECTED in message["title"]]
        assert [message["title"] for message in messages] == [
            f"[dataops ci] problem: test {INJECTED} failed: {airlines:,} failing rows"
        ]
        # the run-failure sensor: already said by the step, nothing more is sent
        sensor = defs.resolve_sensor_def("alert_on_run_failure")
        sensor(failure_sensor_context(defs, instance, result))
        assert webhook.take() == []
    # the activity log: the build refused by its failing test, as dataops build is
    [build] = [
        line
        for line in activity.runs(settings.project.warehouse_dir)
        if line["command"] == "build"
        and line.get("options", {}).get("dagster_run_id") == result.run_id
    ]
    assert build["outcome"] == "refused" and INJECTED in build["reason"]


def test_a_failure_the_history_cannot_record_is_alerted_by_the_run_sensor(
    injected: dict, webhook: Webhook
) -> None:
    settings: Settings = injected["settings"]
    defs: Definitions = injected["defs"]
    project = settings.project
    injected["monkeypatch"].setenv("DATAOPS_ALERT_URLS", webhook.url)
    ingest = defs.resolve_assets_def(AssetKey(["flights", "flights"]))
    weather = project.landing_dir / "weather"
    if not list(weather.glob("*.jsonl")):  # the day's files landed, whichever test ran first
        with DagsterInstance.ephemeral() as instance:
            assert run(defs, instance, set(ingest.keys)).success
    # a landed file the landing models have not read yet is changed on disk
    landed = next(weather.glob("*.jsonl"))
    original = landed.read_bytes()
    landed.chmod(0o644)
    landed.write_bytes(original.replace(b'"temp":', b'"temp": ', 1))
    keys = AssetSelection.assets(AIRLINES).upstream().resolve(defs.resolve_asset_graph())
    with DagsterInstance.ephemeral() as instance:
        result = run(defs, instance, keys)
        assert not result.success
        assert events_of(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
        sensor = defs.resolve_sensor_def("alert_on_run_failure")
        sensor(failure_sensor_context(defs, instance, result))
        (message,) = webhook.take()
        assert message["title"] == "[dataops ci] problem: run of job assets failed"
        assert "changed" in message["message"] and landed.name in message["message"]
        # repaired, the job succeeds again: the problem is resolved
        landed.write_bytes(original)
        landed.chmod(0o444)
        ingested = run(defs, instance, set(ingest.keys))
        assert ingested.success
        success = (
            instance.get_records_for_run(ingested.run_id, of_type=DagsterEventType.RUN_SUCCESS)
            .records[0]
            .event_log_entry.dagster_event
        )
        defs.resolve_sensor_def("alert_on_run_success")(
            build_run_status_sensor_context(
                sensor_name="alert_on_run_success",
                dagster_event=success,
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(ingested.run_id),
            )
        )
        assert [item["title"] for item in webhook.take()] == ["[dataops ci] resolved: job assets"]
