"""Alerts sent to a local JSON webhook (Apprise ``json://127.0.0.1:PORT``), from a real history.

A copy of the project with one injected error-severity test (every airline of
trusted_airlines fails it while a var is set) is fed the real 2013-01-01,
ingested as if the files had arrived 30 hours ago (past the 26 hours the daily
sources may be late), the test and what it reads built, and the sources'
freshness checked. Then, as a team lives it:

1. ``dataops alert`` with the webhook answering 500: exit 1, nothing recorded;
2. the webhook up: one message for the failing test, with its name and count,
   one for each stale source, one for a monitoring test of the model below its
   bound (a stand-in observability model), one for a file ingest rejected;
3. the same failures again: nothing sent;
4. the test fixed: its resolution sent;
5. the next day arrives on time: the sources' resolutions sent.

Then a publish that stopped before its build (its ingest failed) is alerted on
prod once, to the log while no URL is set.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from dataops.cli import main
from dataops.core.dbt import run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.delivery.publish import Places, publish
from dataops.ingest.run import ingest
from dataops.observability.alert_messages import alert_urls

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DAY, NEXT_DAY = date(2013, 1, 1), date(2013, 1, 2)
INJECTED = "assert_injected_alert_failure"
# a stand-in beside the real monitoring (model_daily_performance), under names of its own
MONITORING, BOUND = "model_daily_scores", "model_daily_scores_roc_auc_is_above_the_bound"
BAD_FILE = "flights_2013-01-31.csv"
# The sources that arrive daily (26 h warn, 50 h error); the registers allow 35 days.
DAILY_SOURCES = ("flights.flights", "weather.observations", "ingestion.ingested_files")
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)


class Webhook:
    """A JSON webhook on 127.0.0.1 that keeps every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if hook.status == 200:
                    hook.messages.append(json.loads(body))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/alerts"

    def take(self) -> list[dict]:
        taken, self.messages = self.messages, []
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def injected_project(folder: Path) -> Project:
    shutil.copytree(ROOT, folder, ignore=COPY_IGNORE)
    (folder / "data_tests" / f"{INJECTED}.sql").write_text(
        "select * from {{ ref('trusted_airlines') }}\n"
        "{% if not var('alert_failure', false) %}where false{% endif %}\n",
        encoding="utf-8",
    )
    # a stand-in for the monitoring of the model (an observability model and its bound)
    (folder / "models" / "observability" / f"{MONITORING}.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select date '2013-01-01' as flight_date, 0.61 as roc_auc\n",
        encoding="utf-8",
    )
    (folder / "models" / "observability" / f"{MONITORING}.yml").write_text(
        f"""
version: 2
models:
  - name: {MONITORING}
    description: One row per day the arrival-delay model scored.
    data_tests:
      - expression_is_true:
          name: {BOUND}
          arguments:
            expression: roc_auc >= 0.7
          config:
            severity: warn
""",
        encoding="utf-8",
    )
    return Project(folder)


def alert(capsys: pytest.CaptureFixture, *args: str, target: str = "ci") -> tuple[int, str, str]:
    code = main(["alert", "--target", target, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, webhook: Webhook) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("alerts")
    monkeypatch = pytest.MonkeyPatch()
    project = injected_project(base / "project")
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(project.root))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.delenv("DATAOPS_ALERT_URLS", raising=False)
    feeds = load_feeds(project.models_dir)
    artifacts = base / "dbt"
    try:
        feed(feeds, project.inbox_dir, DAY, DAY)
        (project.inbox_dir / "flights" / BAD_FILE).write_text("not,the,header\n1,2,3\n")
        late = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=30)
        ingest(project, "ci", clock=lambda _path: late, settle_seconds=0)
        failing = ["--vars", "{alert_failure: true}"]
        # the test and what it reads; only the tests whose every input is built
        selection = ["-s", f"+{INJECTED}", MONITORING, "--indirect-selection", "buildable"]
        built = run_dbt(project, ["build", *selection, *failing], "ci", artifacts)
        run_dbt(project, ["source", "freshness"], "ci", artifacts)
        con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
        try:
            airlines = con.execute("select count(*) from trusted.trusted_airlines").fetchall()
        finally:
            con.close()
        yield {
            "project": project,
            "base": base,
            "artifacts": artifacts,
            "failing": failing,
            "built": built,
            "airlines": airlines[0][0],
            "monkeypatch": monkeypatch,
        }
    finally:
        monkeypatch.undo()


def test_each_problem_is_sent_once_and_its_resolution_once(
    scenario: dict, webhook: Webhook, capsys: pytest.CaptureFixture
) -> None:
    project: Project = scenario["project"]
    monkeypatch: pytest.MonkeyPatch = scenario["monkeypatch"]
    report = ["--report", str(scenario["base"] / "report.html")]
    assert not scenario["built"].success
    assert any(INJECTED in failure for failure in scenario["built"].failures)
    monkeypatch.setenv("DATAOPS_ALERT_URLS", webhook.url)

    # 1. the webhook fails: the command says so, and nothing is recorded as sent
    webhook.status = 500
    code, _out, _err = alert(capsys, *report)
    assert code == 1
    webhook.status = 200
    state = project.warehouse_dir / "alerts" / "ci.json"
    assert json.loads(state.read_text())["open"] == {}

    # 2. one message per problem: the failing test with its name and count, each stale source
    code, out, _err = alert(capsys, *report)
    assert code == 0, out
    messages = webhook.take()
    failing = [message for message in messages if INJECTED in message["title"]]
    assert len(failing) == 1
    test_message = failing[0]
    assert test_message["type"] == "failure"
    assert f"{scenario['airlines']:,} failing rows" in test_message["title"]
    assert f"test_failures.{INJECTED}" in test_message["message"]
    assert str(scenario["base"] / "report.html") in test_message["message"]
    assert (scenario["base"] / "report.html").is_file()
    stale = sorted(
        source
        for source in DAILY_SOURCES
        for message in messages
        if f"source {source} is stale (warn)" in message["title"]
    )
    assert stale == sorted(DAILY_SOURCES)
    # the model below its bound, and the file ingest refused
    bound = [message["title"] for message in messages if BOUND in message["title"]]
    assert bound == [
        f"[dataops ci] problem: model monitoring: {BOUND} on {MONITORING}: 1 failing row"
    ]
    (rejected,) = [message for message in messages if BAD_FILE in message["title"]]
    assert rejected["title"] == f"[dataops ci] problem: file flights/{BAD_FILE} rejected by ingest"
    assert "_rejected" in rejected["message"] and "header" in rejected["message"]
    assert len(messages) == 1 + len(DAILY_SOURCES) + 2

    # 3. the same failure on the next run: nothing is sent again
    run_dbt(project, ["test", "-s", INJECTED, *scenario["failing"]], "ci", scenario["artifacts"])
    code, out, _err = alert(capsys, *report)
    assert code == 0
    assert webhook.take() == []
    assert "nothing new" in out

    # 4. the test fixed: its resolution, once
    fixed = run_dbt(project, ["test", "-s", INJECTED], "ci", scenario["artifacts"])
    assert fixed.success
    code, out, _err = alert(capsys, *report)
    resolved = webhook.take()
    assert [message["title"] for message in resolved] == [f"[dataops ci] resolved: test {INJECTED}"]
    assert resolved[0]["type"] == "success"
    assert alert(capsys, *report)[0] == 0
    assert webhook.take() == []

    # 5. the next day arrives on time: the daily sources are fresh again
    feed(load_feeds(project.models_dir), project.inbox_dir, NEXT_DAY, NEXT_DAY)
    ingest(project, "ci", settle_seconds=0)
    run_dbt(project, ["source", "freshness"], "ci", scenario["artifacts"])
    code, out, _err = alert(capsys, *report)
    assert code == 0
    titles = sorted(message["title"] for message in webhook.take())
    assert titles == sorted(f"[dataops ci] resolved: source {source}" for source in DAILY_SOURCES)
    # still open: the model below its bound; the rejected file was sent once, never kept
    (still_open,) = json.loads(state.read_text())["open"]
    assert still_open.startswith(f"bound:test.nycflights.{BOUND}")


def test_a_url_apprise_cannot_read_is_refused_without_printing_it() -> None:
    with pytest.raises(DataOpsError) as refused:
        alert_urls("json://127.0.0.1:9/ok, slack//token-that-must-stay-secret")
    assert "URL 2 of 2" in refused.value.reason
    assert "token-that-must-stay-secret" not in str(refused.value)
    assert alert_urls("json://127.0.0.1:9/a json://127.0.0.1:9/b") == [
        "json://127.0.0.1:9/a",
        "json://127.0.0.1:9/b",
    ]


def test_a_publish_that_did_not_go_through_is_alerted_once_to_the_log_without_url(
    scenario: dict, webhook: Webhook, capsys: pytest.CaptureFixture
) -> None:
    project: Project = scenario["project"]
    places = Places.of(project)
    places.prod.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(places.prod)).close()  # a prod, before this publish

    def full_disk(_target: str) -> int:
        raise DataOpsError("ingest stopped: No space left on device", "free space")

    with pytest.raises(DataOpsError):
        publish(project, full_disk)
    assert places.candidate.parent.exists()  # what publish leaves when it did not go through
    title = (
        "[dataops prod] problem: publish did not go through: it stopped before its build,"
        " prod unchanged"
    )
    # no URL: the message goes to the log (and counts as sent)
    scenario["monkeypatch"].delenv("DATAOPS_ALERT_URLS", raising=False)
    code, out, err = alert(capsys, target="prod")
    assert code == 0
    assert "the log only: DATAOPS_ALERT_URLS is not set" in out
    # outside a terminal each log record is one whole line (cli.group.log_handler)
    assert title in err and str(places.candidate) in err
    # the same open problem is not sent again, to the log or to a URL
    scenario["monkeypatch"].setenv("DATAOPS_ALERT_URLS", webhook.url)
    code, out, _err = alert(capsys, target="prod")
    assert code == 0 and out.startswith("nothing new")
    assert webhook.take() == []
