"""The report and the docs in a real browser: Debian's chromium, Playwright.

The report and the docs are opened from file://; every request that is not a
file is refused and recorded, and the tests assert there was none (``Watched``;
the Models page and the MLflow UI are opened the same way in test_ml_backbone.py,
beside the trained store they show). Screenshots go to build/artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

from dataops.observability import report

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "build" / "artifacts"
# Chromium's own background connections are refused on a closed network: switch them off.
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


class Watched:
    """A page with the external requests and console errors it produced."""

    def __init__(self, context: BrowserContext) -> None:
        self.allowed: tuple[str, ...] = ()
        self.external: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        self.page: Page = context.new_page()
        self.page.on(
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))

    def _route(self, route: Route) -> None:
        if route.request.url.startswith((*LOCAL_SCHEMES, *self.allowed)):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@contextlib.contextmanager
def chromium(viewport: dict[str, int]) -> Iterator[BrowserContext]:
    """Debian's chromium, headless, in a fresh profile; closed on exit."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: make test installs it (scripts/install-system-packages)"
        )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=viewport,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def report_file(built_days: dict) -> Path:
    output = built_days["base"] / "report.html"
    report.generate(built_days["warehouse"], built_days["target_dir"] / "manifest.json", output)
    return output


def test_report_renders_offline_and_filters(browser: Watched, report_file: Path) -> None:
    page = browser.page
    page.goto(report_file.as_uri())
    payload = page.evaluate("window.REPORT")
    # dashboard: counters and the four charts drawn by plotly
    page.wait_for_selector("#chart-test-status .main-svg")
    passed = page.inner_text("[data-counter='tests passed'] .value")
    assert int(passed.replace(",", "")) == sum(
        1 for test in payload["tests"].values() if test["status"] == "pass"
    )
    for chart in ("test-status", "test-trend", "run-duration", "volumes"):
        assert page.locator(f"#chart-{chart} .main-svg").count() >= 1, chart
    assert page.locator("#tables-health tbody tr").count() == len(payload["nodes"])
    browser.shot("report-dashboard")

    # test results: the filter narrows the table, a click shows the test's history
    page.click("#tabs button[data-page=tests]")
    page.wait_for_selector("#tests-table tbody tr")
    total = page.locator("#tests-table tbody tr").count()
    assert total == len(payload["tests"])
    page.fill("#test-search", "not_null_fct_flights")
    shown = page.locator("#tests-table tbody tr")
    expected = [t for t in payload["tests"].values() if "not_null_fct_flights" in t["name"]]
    assert 0 < shown.count() == len(expected) < total
    page.select_option("#test-status", "warn")
    page.fill("#test-search", "")
    warned = [t for t in payload["tests"].values() if t["status"] == "warn"]
    assert shown.count() == len(warned) > 0
    shown.first.click()
    page.wait_for_selector("#chart-test-history .main-svg")
    assert page.inner_text("#test-detail h3") in {t["name"] for t in warned}
    browser.shot("report-tests")

    page.click("#tabs button[data-page=samples]")
    page.wait_for_selector("#samples .sample, #samples .empty")
    assert page.locator("#samples .sample").count() >= 1
    browser.shot("report-failed-rows")
    page.click("#tabs button[data-page=performance]")
    page.wait_for_selector("#chart-durations .main-svg")
    assert page.locator("#slowest tbody tr").count() > 0
    browser.shot("report-performance")

    # lineage: every node drawn; a click keeps its upstream lit and shows its status
    page.click("#tabs button[data-page=lineage]")
    page.wait_for_selector("#lineage-graph .dag-node")
    assert page.locator("#lineage-graph .dag-node").count() == len(payload["lineage"]["nodes"])
    page.click(".dag-node[data-id='model.nycflights.fct_flights']")
    assert "fct_flights" in page.inner_text("#lineage-detail h3")
    lit = page.locator(".dag-node:not(.dag-dim)")
    assert lit.locator("xpath=self::*[@data-id='model.nycflights.trusted_flights']").count() == 1
    assert page.locator(".dag-node.dag-dim").count() > 0
    browser.shot("report-lineage")

    page.click("#tabs button[data-page=freshness]")
    assert browser.external == []
    assert browser.errors == []


def test_docs_render_offline_with_column_lineage(browser: Watched, built_days: dict) -> None:
    page = browser.page
    page.goto(built_days["docs"].path.as_uri())
    page.wait_for_selector("#CL-open")
    page.wait_for_timeout(1000)  # let the Angular app render its overview
    browser.shot("docs-overview")
    page.click("#CL-open")
    page.select_option("#CL-model", "model.nycflights.fct_flights")
    page.click("button.cl-column[data-column='origin_wind_speed_mph']")
    sources = page.inner_text("#CL-sources")
    assert "weather files.wind_speed" in sources
    assert "flights files" not in sources
    payload = json.loads(page.evaluate("JSON.stringify(window.COLUMN_LINEAGE.upstream)"))
    ancestors, stack = set(), ["model.nycflights.fct_flights|origin_wind_speed_mph"]
    while stack:
        for parent in payload.get(stack.pop(), []):
            if parent not in ancestors:
                ancestors.add(parent)
                stack.append(parent)
    assert page.locator("#CL-graph .dag-node").count() == len(ancestors) + 1
    browser.shot("docs-column-lineage")
    assert browser.external == []
    assert browser.errors == []
