"""The README's tour, run as written, step after step, in a fresh copy of the project.

``make demo`` then each command of the tour's block, in its order, each checked for
what the README says it does: the data shows, the report and the docs site exist (the
report names its pages), prod exists after the publish, the sandbox answers, the metric
comes back with numbers, a version is trained, Dagster's UI and the dashboard answer.

The demo and ``dataops feed`` send the whole year; here they send the range the test is
parametrized with (two weeks of January: enough to train a model on), so that the tour
takes minutes. Every step runs even when one before it failed; the test fails at the
end naming each step that did not do what the README says, with its output.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from tests.docs.markdown import ROOT
from tests.docs.workspace import copy_project, environment

pytestmark = pytest.mark.e2e

TOUR_HEADING = "## A tour of about ten minutes"
COMMENT = re.compile(r"\s{2,}#.*$")
SECONDS = 1800
# The Makefile's install targets, already made by this venv: `make -o` leaves them alone.
INSTALLED = (".venv/.installed", ".venv/.installed-orchestration", ".venv/.installed-consumers")


def tour_commands(readme: Path = ROOT / "README.md") -> list[str]:
    """The commands of the README's tour block, in order, without their comments."""
    text = readme.read_text().split(TOUR_HEADING, 1)[1].split("\n## ", 1)[0]
    return [
        COMMENT.sub("", line).strip()
        for line in text.splitlines()
        if line.startswith("    ") and line.strip()
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_signals() -> None:
    """A CI runner may start its jobs ignoring SIGINT: the servers started here must not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Tour:
    """The copy of the project the tour runs in, and what went wrong along the way."""

    project: Path
    env: dict[str, str]
    first: date
    last: date
    failures: list[str] = field(default_factory=list)

    def run(self, command: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.project,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=SECONDS,
        )

    def check(self, step: str, ok: bool, what: str, output: str = "") -> bool:
        if not ok:
            self.failures.append(f"{step}: {what}\n{output[-3000:]}")
        return ok

    def ran(self, step: str, done: subprocess.CompletedProcess[str]) -> bool:
        return self.check(
            step, done.returncode == 0, f"exit {done.returncode}", done.stdout + done.stderr
        )

    def serves(self, step: str, command: str, path: str, port: int) -> None:
        """A server started by ``command`` answers ``path`` on ``port``; stopped after."""
        log = self.project / f"serve-{port}.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                ["bash", "-c", command],
                cwd=self.project,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=default_signals,
            )
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        self.check(step, r.status == 200, f"HTTP {r.status}")
                        return
                except OSError:
                    time.sleep(2)
            self.check(step, False, f"nothing answers on {port}{path}", log.read_text())
        finally:
            # Ctrl-C, as a user stops it (dg dev stops its code servers on SIGINT, not on
            # SIGTERM), then whatever is left of the process group
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=60)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    def rows(self, warehouse: Path, relation: str) -> int:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])


def step_data(tour: Tour, command: str) -> None:
    done = tour.run(command)
    if tour.ran(command, done):
        table = [line for line in done.stdout.splitlines() if line.startswith("|")]
        tour.check(command, len(table) >= 12, "not 10 rows of fct_flights", done.stdout)


def step_report(tour: Tour, command: str) -> None:
    from dataops.observability.report import PAGES

    template = (tour.project / "scripts" / "dataops" / "assets" / "report.html").read_text()
    titles = re.findall(r'data-page="[^"]+">([^<]+)<', template) + [page.title for page in PAGES]
    path = tour.project / command.split()[-1]
    if tour.check(command, path.is_file(), f"no {path}") and tour.check(
        command, len(titles) >= 5, f"the report's pages not found: {titles}"
    ):
        html = path.read_text()
        missing = [title for title in titles if f">{title}<" not in html]
        tour.check(command, not missing, f"the report does not name its pages {missing}")


def step_docs(tour: Tour, command: str) -> None:
    path = tour.project / command.split()[-1]
    if tour.check(command, path.is_file(), f"no {path}"):
        html = path.read_text()
        tour.check(command, "fct_flights" in html, "the docs site does not name fct_flights")


def step_publish(tour: Tour, command: str) -> None:
    sent = command.replace(
        "dataops feed", f"dataops feed --start {tour.first} --end {tour.last}", 1
    )
    done = tour.run(sent)
    if tour.ran(command, done):
        # the files dev landed are taken into prod, said once; no advice meant for an ingest
        said = done.stdout + done.stderr
        tour.check(command, "already landed by target dev" in said, "no word of dev's files", said)
        tour.check(command, "nothing new" not in said, "an ingest's advice in a publish", said)
        warehouse = Path(tour.env["DATAOPS_WAREHOUSE_DIR"])
        prod = warehouse / "prod.duckdb"
        if tour.check(command, prod.is_file(), "no prod after the publish", done.stdout):
            flights = "marts.fct_flights"
            tour.check(
                command,
                tour.rows(prod, flights) == tour.rows(warehouse / "dev.duckdb", flights) > 0,
                "prod does not hold the flights dev holds",
            )


def step_sandbox(tour: Tour, command: str) -> None:
    if tour.ran(command, tour.run(command)):
        name = command.split()[-1]
        query = "select count(*) as flights from {{ ref('fct_flights') }}"
        # its artefacts kept apart: target/ stays the tour's (MetricFlow reads
        # target/semantic_manifest.json, which a dbt command on the sandbox rewrites)
        done = tour.run(
            f'dbt show --target sandbox --target-path build/sandbox-check --inline "{query}"',
            DATAOPS_SANDBOX=name,
        )
        if tour.ran(f"{command}: dbt show on the sandbox", done):
            tour.check(
                command,
                re.search(r"\|\s*[1-9][\d,]*\s*\|", done.stdout) is not None,
                "the sandbox answers no flights",
                done.stdout,
            )


def step_metric(tour: Tour, command: str) -> None:
    done = tour.run(command)
    if tour.ran(command, done):
        numbers = re.findall(r"\b\d+\.\d+\b", done.stdout)
        tour.check(command, len(numbers) >= 2, "the metric query returned no numbers", done.stdout)


def step_train(tour: Tour, command: str) -> None:
    from mlflow import MlflowClient

    done = tour.run(command)
    if tour.ran(command, done):
        warehouse = Path(tour.env["DATAOPS_WAREHOUSE_DIR"])
        client = MlflowClient(f"sqlite:///{warehouse / 'mlflow.db'}")
        versions = client.search_model_versions()
        tour.check(
            command,
            len(versions) >= 2,
            f"{len(versions)} versions after the demo's and the tour's training",
            done.stdout,
        )


def step_orchestrate(tour: Tour, command: str) -> None:
    port = free_port()
    flags = " ".join(f"-o {name}" for name in INSTALLED)
    served = command.replace("make ", f"make {flags} ORCHESTRATE_PORT={port} ", 1)
    tour.serves(command, served, "/server_info", port)


def step_dashboard(tour: Tour, command: str) -> None:
    port = free_port()
    flags = " ".join(f"-o {name}" for name in INSTALLED)
    served = command.replace("make ", f"make {flags} DASHBOARD_PORT={port} ", 1)
    tour.serves(command, served, "/", port)


# Each command of the tour, as the README gives it, and what checks it.
STEPS: dict[str, Callable[[Tour, str], None]] = {
    "dbt show --inline \"select * from {{ ref('fct_flights') }}\" --limit 10": step_data,
    "open target/report_dev.html": step_report,
    "open target/docs.html": step_docs,
    "dataops feed && dataops publish": step_publish,
    "dataops sandbox create alice": step_sandbox,
    "mf query --saved-query on_time_performance_by_airline_month": step_metric,
    "dataops train": step_train,
    "make orchestrate": step_orchestrate,
    "make dashboard": step_dashboard,
}


def check_demo_output(output: str, warehouse: Path) -> None:
    """The demo's stages, its freshness run and its closing summary, as a newcomer reads them."""
    stages = re.findall(r"^\[(\d+)/(\d+)\] (\w+):", output, flags=re.MULTILINE)
    assert [int(number) for number, _total, _name in stages] == list(range(1, len(stages) + 1))
    assert {total for _number, total, _name in stages} == {str(len(stages))}
    assert "freshness" in [name for _number, _total, name in stages]
    # dbt's node lines stay in the log: none reaches the console
    assert not re.search(r"OK created sql \w+ model", output)
    checked = re.search(r"^sources: +freshness checked: (.+)$", output, flags=re.MULTILINE)
    assert checked and re.fullmatch(r"\d+ pass", checked[1]), output[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute(
            "select distinct status from observability.source_freshness"
        ).fetchall()
    assert statuses == [("pass",)]  # the report's freshness page has its rows
    # the summary says where to look: every path it names exists
    for label in ("warehouse", "landing", "docs", "report", "logs"):
        named = re.search(rf"^{label}: +(\S+)$", output, flags=re.MULTILINE)
        assert named and Path(named[1]).exists(), (label, output[-2000:])
    assert re.search(r"^done in \d+ s$", output, flags=re.MULTILINE)


def test_the_tour_is_the_one_the_readme_gives() -> None:
    assert tour_commands() == list(STEPS)


@pytest.mark.parametrize(("first", "last"), [(date(2013, 1, 1), date(2013, 1, 14))])
def test_the_readme_tour_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: date, last: date
) -> None:
    from dataops.cli import cli, pipeline

    project = copy_project(tmp_path / "project")
    env = environment(project, tmp_path / "data", tmp_path / "warehouse")
    for key in ("DATAOPS_PROJECT_DIR", "DATAOPS_DATA_DIR", "DATAOPS_WAREHOUSE_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.chdir(project)
    tour = Tour(project, env, first, last)
    # make demo, on the range instead of the year
    feed_inbox = pipeline.feed_inbox
    monkeypatch.setattr(pipeline, "feed_inbox", lambda found, *_: feed_inbox(found, first, last))
    demo = CliRunner().invoke(cli, ["demo"])
    assert demo.exit_code == 0, demo.output
    check_demo_output(demo.output, Path(env["DATAOPS_WAREHOUSE_DIR"]) / "dev.duckdb")
    for command in tour_commands():
        STEPS[command](tour, command)
    assert not tour.failures, "\n\n".join(tour.failures)
