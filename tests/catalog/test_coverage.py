"""Documentation and test coverage by dbt-coverage: the description check of ``dataops docs``,
the floors of ``make test`` and the observability report's dashboard, on the days of
``built_days`` (fed, ingested, built on ci, docs generated)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataops.catalog import coverage
from dataops.observability import report
from tests.observability.test_browser import Watched, chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
BIN = ROOT / ".venv" / "bin"
INGESTED = "source.nycflights.ingestion.ingested_files"


@pytest.fixture
def watched() -> Iterator[Watched]:
    with chromium({"width": 1400, "height": 1000}) as context:
        yield Watched(context)


def _dbt_coverage(artifacts_dir: Path, kind: str, output: Path, floor: float | None = None):
    """dbt-coverage's own command line, as make test runs it."""
    command = [
        str(BIN / "dbt-coverage"),
        "compute",
        kind,
        "--run-artifacts-dir",
        str(artifacts_dir),
        "--cov-report",
        str(output),
    ]
    if floor is not None:
        command += ["--cov-fail-under", str(floor)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _floors() -> dict[str, float]:
    """The --cov-fail-under of each dbt-coverage command of make test (make -n ci-build)."""
    dry_run = subprocess.run(
        ["make", "-n", "ci-build"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", " ")
    found = re.findall(r"dbt-coverage compute (\w+) .*?--cov-fail-under ([\d.]+)", dry_run)
    return {kind: float(floor) for kind, floor in found}


def test_description_coverage_counts_the_warehouse_columns_as_dbt_coverage(
    artefacts: tuple[dict, dict], tmp_path: Path
) -> None:
    manifest, catalog = artefacts
    changed = copy.deepcopy(manifest)
    # a column of a source table the warehouse holds, no longer declared in the YAML
    del changed["sources"][INGESTED]["columns"]["sha256"]
    changed["nodes"]["model.nycflights.fct_flights"]["columns"]["airline_id"]["description"] = ""
    result = coverage.check(changed, catalog)
    assert result.missing == [
        "model.nycflights.fct_flights.airline_id",
        f"{INGESTED}.sha256 (in the warehouse)",
    ]
    # the columns are dbt-coverage's: its own command finds the same two misses
    for name, artifact in (("manifest.json", changed), ("catalog.json", catalog)):
        (tmp_path / name).write_text(json.dumps(artifact))
    outcome = _dbt_coverage(tmp_path, "doc", tmp_path / "doc.json")
    assert outcome.returncode == 0, outcome.stderr
    figures = json.loads((tmp_path / "doc.json").read_text())
    assert figures["total"] - figures["covered"] == 2
    # ... and everything else it does not count (nodes, macros, tests, exposures) is counted here
    assert result.total > figures["total"]


def test_make_test_floors_match_todays_coverage(built_days: dict, tmp_path: Path) -> None:
    floors = _floors()
    assert set(floors) == {"doc", "test"}
    for kind, floor in floors.items():
        output = tmp_path / f"{kind}.json"
        outcome = _dbt_coverage(built_days["target_dir"], kind, output, floor)
        assert outcome.returncode == 0, outcome.stderr
        measured = json.loads(output.read_text())["coverage"]
        # the floor is today's figure, rounded down to a tenth of a percent: not a loose bound
        assert floor <= measured < floor + 0.001, (kind, measured)
        failed = _dbt_coverage(built_days["target_dir"], kind, output, measured + 0.001)
        assert failed.returncode != 0 and "lower than min required coverage" in failed.stderr


def test_report_without_a_catalog_says_what_to_run(built_days: dict, tmp_path: Path) -> None:
    from dataops.catalog import report_coverage

    shutil.copyfile(built_days["target_dir"] / "manifest.json", tmp_path / "manifest.json")
    figures = report_coverage.collect(tmp_path / "manifest.json")
    assert figures == {
        "missing": f"no catalog.json beside the manifest: {report_coverage.MISSING_HINT}"
    }
    assert "dataops docs" in figures["missing"]


def test_report_dashboard_shows_the_coverage(
    watched: Watched, built_days: dict, tmp_path: Path
) -> None:
    target = built_days["target_dir"]
    output = tmp_path / "report.html"
    report.generate(built_days["warehouse"], target / "manifest.json", output)
    tested = _dbt_coverage(target, "test", tmp_path / "test.json")
    assert tested.returncode == 0, tested.stderr
    expected = json.loads((tmp_path / "test.json").read_text())

    page = watched.page
    page.goto(output.as_uri())
    page.wait_for_selector("[data-counter='columns tested'] .value")
    label = page.inner_text("[data-counter='columns tested'] .label")
    assert label == f"columns tested ({expected['covered']} of {expected['total']})"
    value = page.inner_text("[data-counter='columns tested'] .value")
    assert value == f"{100 * expected['covered'] / expected['total']:.1f}%"
    assert page.inner_text("[data-counter='columns described'] .value") == "100.0%"
    rows = page.locator("#coverage-table tbody tr")
    assert rows.count() == len(expected["tables"])
    fct = page.locator(
        "#coverage-table tbody tr:has(td:nth-child(2):text-is('marts.fct_flights')) td"
    )
    by_name = {table["name"]: table for table in expected["tables"]}["marts.fct_flights"]
    assert fct.nth(2).inner_text() == str(by_name["total"])
    assert fct.nth(4).inner_text() == str(by_name["covered"])
    page.locator("#coverage-counters").scroll_into_view_if_needed()
    watched.shot("report-coverage")
    assert watched.external == []
    assert watched.errors == []
