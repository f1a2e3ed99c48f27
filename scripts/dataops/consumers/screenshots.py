"""The docs' screenshots, made by a command: ``make screenshots``.

Debian's chromium (through Playwright, a dev dependency) opens what ``make demo`` and
``dataops publish`` leave, offline (every request that is not a file, or the dashboard
on 127.0.0.1, is refused), and writes the PNGs the docs show into ``docs/``:

- ``report.png``: the observability report's dashboard (``target/report_<target>.html``);
- ``docs_overview.png``: the docs site's overview (``target/docs.html``);
- ``docs_column_lineage.png``: the docs site's column lineage panel on ``fct_flights``;
- ``dashboard.png``: the on-time dashboard on prod, when prod exists.

Run it after ``make demo`` (and ``dataops publish`` for the dashboard): the pictures
show the data the warehouse holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.publish import PROD

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
LINEAGE_MODEL = "model.nycflights.fct_flights"
LINEAGE_COLUMN = "arrival_delay_minutes"
SETTLE_MS = 1500


@dataclass(frozen=True)
class Shot:
    """A picture of the docs: its file under docs/ and the size it is taken at."""

    file: str
    width: int
    height: int


REPORT = Shot("report.png", 1280, 820)
DOCS_OVERVIEW = Shot("docs_overview.png", 1400, 900)
DOCS_LINEAGE = Shot("docs_column_lineage.png", 1400, 900)
DASHBOARD = Shot("dashboard.png", 1400, 900)
SHOTS = (REPORT, DOCS_OVERVIEW, DOCS_LINEAGE, DASHBOARD)


@contextlib.contextmanager
def _browser(allowed: tuple[str, ...] = ()) -> Iterator[Any]:
    """A headless chromium context that refuses every request but files and ``allowed``."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise DataOpsError(
            f"{CHROMIUM} is missing: the screenshots need Debian's chromium",
            "run make system-packages (as root), then make screenshots again",
        )

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith((*LOCAL_SCHEMES, *allowed)):
            request_route.continue_()
        else:
            request_route.abort()

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context.route("**/*", route)
            yield context
        finally:
            context.close()


def _page(context: Any, shot: Shot) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": shot.width, "height": shot.height})
    return page


def report_shot(context: Any, report: Path, out: Path) -> Path:
    page = _page(context, REPORT)
    page.goto(report.as_uri())
    page.wait_for_selector("#chart-test-status .main-svg", timeout=60_000)
    page.wait_for_timeout(SETTLE_MS)
    path = out / REPORT.file
    page.screenshot(path=str(path))
    return path


def docs_shots(context: Any, docs: Path, out: Path) -> list[Path]:
    """The docs site's overview, then its column lineage panel on ``fct_flights``."""
    page = _page(context, DOCS_OVERVIEW)
    page.goto(f"{docs.as_uri()}#!/overview")
    page.wait_for_load_state("load")
    page.wait_for_timeout(2 * SETTLE_MS)  # the site renders its overview after loading
    overview = out / DOCS_OVERVIEW.file
    page.screenshot(path=str(overview))
    page = _page(context, DOCS_LINEAGE)
    page.goto(f"{docs.as_uri()}#!/model/{LINEAGE_MODEL}")
    page.wait_for_selector("#CL-open", timeout=60_000)
    page.click("#CL-open")
    page.wait_for_selector("#CL-graph .dag-node", timeout=60_000)
    page.select_option("#CL-model", LINEAGE_MODEL)
    page.click(f"button.cl-column[data-column='{LINEAGE_COLUMN}']")
    page.wait_for_timeout(SETTLE_MS)
    lineage = out / DOCS_LINEAGE.file
    page.screenshot(path=str(lineage))
    return [overview, lineage]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _dashboard(project: Project) -> Iterator[str]:
    """``dataops dashboard`` on a free port of 127.0.0.1 until the block ends: its URL."""
    port = _free_port()
    command = [str(Path(sys.executable).with_name("dataops")), "dashboard", "--port", str(port)]
    env = {**os.environ, "DATAOPS_PROJECT_DIR": str(project.root)}
    with tempfile.TemporaryFile() as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError as error:
                    if server.poll() is not None or time.monotonic() > deadline:
                        output.seek(0)
                        raise DataOpsError(
                            f"the dashboard did not start: {output.read()[-500:]!r}",
                            "run make dashboard and fix what it says",
                        ) from error
                    time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def dashboard_shot(project: Project, out: Path) -> Path:
    with _dashboard(project) as url:
        local = url.rstrip("/")
        with _browser((local, local.replace("http:", "ws:"))) as context:
            page = _page(context, DASHBOARD)
            page.goto(url)
            page.wait_for_selector("#stamp", timeout=60_000)
            page.wait_for_timeout(8000)  # the charts' frames load plotly.js from the server
            path = out / DASHBOARD.file
            page.screenshot(path=str(path))
    return path


def take(report: Path, docs: Path, out: Path, project: Project | None = None) -> list[Path]:
    """The report's and the docs site's pictures; the dashboard's when ``project`` has prod."""
    for needed, command in ((report, "dataops report"), (docs, "dataops docs")):
        if not needed.is_file():
            raise DataOpsError(f"{needed} is missing", f"run make demo (or {command}) first")
    out.mkdir(parents=True, exist_ok=True)
    with _browser() as context:
        written = [report_shot(context, report, out), *docs_shots(context, docs, out)]
    if project is not None:
        if project.warehouse_path(PROD).exists():
            written.append(dashboard_shot(project, out))
        else:
            log.warning("no prod yet (dataops publish): the dashboard is not pictured")
    return written


def main() -> None:
    """``make screenshots``: the pictures of the default target's report and docs."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    project = Project.discover()
    target = project.default_target()
    site = project.root / "target"
    try:
        written = take(
            site / f"report_{target}.html", site / "docs.html", project.root / "docs", project
        )
    except DataOpsError as error:
        log.error("%s", error)
        raise SystemExit(1) from error
    for path in written:
        log.info("wrote %s", path.relative_to(project.root))


if __name__ == "__main__":
    main()
