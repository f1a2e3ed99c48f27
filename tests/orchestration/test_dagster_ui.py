"""Dagster's UI in a real browser: ``dg dev`` started on 127.0.0.1 by the test, then stopped.

Debian's chromium, driven by Playwright as in ``test_browser.py``, opens the asset
graph: every zone is a group, and the marts group's lineage shows each mart of
the manifest as a node. Requests leave for 127.0.0.1 only (any other is refused
and recorded, and there must be none). The process and its children (webserver,
daemon, code server) are stopped whatever the outcome. Screenshots:
``build/artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route

from dataops.core.project import Project
from dataops.orchestration.home import prepare_home
from dataops.orchestration.settings import Settings
from tests.observability.test_browser import ARTIFACTS, chromium
from tests.orchestration.test_orchestration import parsed_manifest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DG = Path(sys.executable).parent / "dg"
# the code location scripts/dg.toml names
LOCATION = "dataops.orchestration"
ZONES = ("inbox", "landing", "staging", "trusted", "quarantine", "marts", "observability")
STARTUP_SECONDS = 240
LOCAL = ("http://127.0.0.1:", "data:", "blob:", "about:")
# large enough for the marts group's lineage at the graph's first zoom
VIEWPORT = {"width": 2600, "height": 2700}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _default_signals() -> None:
    """The job runner may ignore SIGINT and SIGTERM; dg dev needs Ctrl-C's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop(process: subprocess.Popen) -> None:
    """Ctrl-C for dg dev and its children (one process group), then SIGKILL if needed."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children still running, if any
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("dagster_ui")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATAOPS_")}
    env.update(
        DATAOPS_PROJECT_DIR=str(ROOT),
        DATAOPS_DATA_DIR=str(base / "data"),
        DATAOPS_WAREHOUSE_DIR=str(base / "warehouse"),
        DAGSTER_HOME=str(base / "warehouse" / "dagster"),
    )
    env.pop("DBT_TARGET", None)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        project = Project.discover(ROOT)
        settings = Settings.from_environment(project)
        prepare_home(settings)
        # parsed once per session: dg dev's code server finds it up to date
        parsed_manifest(tmp_path_factory, project, settings.manifest_dir)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    port = free_port()
    log = (base / "dagster_dev.log").open("w")
    process = subprocess.Popen(
        [str(DG), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT / "scripts",  # the dg project (scripts/dg.toml), as make orchestrate runs it
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_signals,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, (base / "dagster_dev.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5) as answer:
                    info = json.loads(answer.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "dg dev did not answer in time"
                time.sleep(1)
        yield {"url": url, "info": info, "settings": settings, "base": base}
    finally:
        stop(process)
        log.close()


@pytest.fixture
def browser() -> Iterator[LocalOnly]:
    with chromium(VIEWPORT) as context:
        yield LocalOnly(context)


class LocalOnly:
    """A page that may reach the local webserver only, with its console errors and failures.

    A query the UI still had in flight when the test moves to another page is
    aborted by the browser (net::ERR_ABORTED): that is navigation, not a failure.
    """

    def __init__(self, context: BrowserContext) -> None:
        self.external: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        self.page: Page = context.new_page()
        self.page.on(
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfailed", self._failed)

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _failed(self, request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"failed: {request.url} ({request.failure})")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def test_dg_dev_serves_the_definitions_without_a_deprecation_warning(dagster_dev: dict) -> None:
    """``dagster dev`` warned it is superseded by ``dg dev``; make orchestrate runs the latter."""
    log = (dagster_dev["base"] / "dagster_dev.log").read_text(encoding="utf-8")
    assert "Serving dagster-webserver" in log
    assert "superseded" not in log and "Use 'dg dev' instead" not in log


def test_the_asset_graph_shows_the_dbt_models(dagster_dev: dict, browser: LocalOnly) -> None:
    assert dagster_dev["info"]["dagster_version"] == "1.13.27"
    manifest_path = dagster_dev["settings"].manifest_dir / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    marts = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["schema"] == "marts"
    )
    page = browser.page
    # the global lineage: one group per zone
    page.goto(f"{dagster_dev['url']}/asset-groups")
    for zone in ZONES:
        page.get_by_text(zone, exact=True).first.wait_for(timeout=120_000)
    browser.shot("dagster_lineage_groups")
    # the marts group: each mart a node of the graph, fed by trusted
    page.goto(f"{dagster_dev['url']}/locations/{LOCATION}/asset-groups/marts")
    page.get_by_text("fct_flights", exact=True).first.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    names = page.locator("[class*='AssetNode_assetName']").all_inner_texts()
    assert sorted(set(names) & set(marts)) == marts
    assert page.get_by_text("trusted_flights", exact=True).count() >= 1  # its upstream
    assert page.get_by_text("Materialize all").count() >= 1
    shot = browser.shot("dagster_asset_graph_marts")
    assert shot.stat().st_size > 0 and shot.parent == ARTIFACTS
    assert browser.external == []
    assert browser.errors == []
