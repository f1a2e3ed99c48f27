"""The report's freshness counters count what was checked, and say when nothing was.

``built_days`` is built without ``dbt source freshness``: its report must not show
"0 sources fresh" in green. A copy of its warehouse then gets ``dbt source freshness`` (as
``dataops demo`` and the daily build run it, recorded by the on-run-end hook): the counters
give the sources' latest statuses and the Freshness page draws them.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from dataops.core.build import FRESHNESS
from dataops.core.dbt import run_dbt
from dataops.observability import report
from tests.observability.test_browser import Watched

pytestmark = pytest.mark.e2e


def _counter(browser: Watched, name: str) -> tuple[str, str]:
    card = browser.page.locator(f"[data-counter='{name}']")
    return card.locator(".value").inner_text(), card.get_attribute("class") or ""


def _open(browser: Watched, path: Path) -> dict:
    browser.page.goto(path.as_uri())
    browser.page.wait_for_selector("#counters .card")
    return browser.page.evaluate("window.REPORT")


def test_freshness_counters_before_and_after_a_freshness_check(
    browser: Watched, built_days: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = built_days["target_dir"] / "manifest.json"
    unchecked = tmp_path / "unchecked.html"
    report.generate(built_days["warehouse"], manifest, unchecked)
    payload = _open(browser, unchecked)
    assert payload["sources"] == {}
    value, classes = _counter(browser, "sources fresh")
    assert value == "not checked" and "good" not in classes.split()
    value, classes = _counter(browser, "sources stale (warn/error)")
    assert value == "not checked" and "good" not in classes.split()
    browser.page.click("#tabs button[data-page=freshness]")
    assert "run dbt source freshness" in browser.page.inner_text("#chart-freshness")
    # alerts of tests that only warned are amber, red when one failed
    kinds = {
        "volume alerts": lambda test: "volume" in (test["short_name"] or ""),
        "anomalies flagged": lambda test: (
            test.get("anomaly") is not None or "anomal" in (test["short_name"] or "")
        ),
    }
    for name, kind in kinds.items():
        alerting = [
            test for test in payload["tests"].values() if kind(test) and test["status"] != "pass"
        ]
        value, classes = _counter(browser, name)
        assert int(value) == len(alerting)
        failed = any(test["status"] in ("fail", "error") for test in alerting)
        assert ("bad" in classes.split()) == failed

    # the same warehouse, its sources' freshness checked
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy2(built_days["warehouse"], warehouse / built_days["warehouse"].name)
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(warehouse))
    checked = run_dbt(built_days["project"], FRESHNESS, "ci", tmp_path / "dbt")
    assert sum(checked.models.values()) >= 2
    output = tmp_path / "checked.html"
    report.generate(warehouse / built_days["warehouse"].name, manifest, output)
    payload = _open(browser, output)
    statuses = Counter(source["status"] for source in payload["sources"].values())
    assert statuses == checked.models
    value, classes = _counter(browser, "sources fresh")
    assert int(value) == statuses["pass"]
    assert ("good" in classes.split()) == (statuses["pass"] == len(payload["sources"]))
    browser.page.click("#tabs button[data-page=freshness]")
    browser.page.wait_for_selector("#chart-freshness .main-svg")
    assert browser.page.locator("#freshness-table tbody tr").count() == len(payload["sources"])
    browser.shot("report-freshness-checked")
    assert browser.external == []
    assert browser.errors == []
