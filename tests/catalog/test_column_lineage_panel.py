"""The docs' column lineage panel as people use it: opened from a model's page, a graph
that fits or scrolls, and the impact of a column (downstream columns, metrics, saved
queries, exposures).

The browser tests open the docs of ``built_days`` (three days of 2013 built on ci) in
Debian's chromium. Metrics come from a copy of the project with one semantic model,
its metrics, a saved query and an exposure added (``semantic_manifest``), parsed by dbt.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, Page

from dataops.catalog import docs, impact, lineage
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from tests.observability.test_browser import Watched, chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
FCT = "model.nycflights.fct_flights"
TRUSTED = "model.nycflights.trusted_flights"
DASHBOARD = "exposure.nycflights.on_time_performance_dashboard"
PROBE = "nycflights.probe"
# One semantic model over fct_flights with a count, a filtered count, their ratio, a saved
# query by day and an exposure on the ratio; names of their own so they sit beside the
# project's semantic layer.
PROBE_YAML = """\
version: 2
semantic_models:
  - name: probe_flights
    description: Probe semantic model, one row per flight.
    model: ref('fct_flights')
    defaults:
      agg_time_dimension: flight_date
    entities:
      - name: probe_flight
        type: primary
        expr: flight_id
    dimensions:
      - name: flight_date
        type: time
        type_params:
          time_granularity: day
      - name: is_cancelled
        type: categorical
    measures:
      - name: probe_flight_count
        description: Flights.
        agg: count
        expr: flight_id
      - name: probe_departure_delay_total
        description: Sum of the departure delays.
        agg: sum
        expr: coalesce(departure_delay_minutes, 0)
metrics:
  - name: probe_flights
    label: Probe flights
    description: Flights.
    type: simple
    type_params:
      measure: probe_flight_count
  - name: probe_cancelled_flights
    label: Probe cancelled flights
    description: Cancelled flights.
    type: simple
    type_params:
      measure: probe_flight_count
    filter: "{{ Dimension('probe_flight__is_cancelled') }}"
  - name: probe_cancellation_rate
    label: Probe cancellation rate
    description: Cancelled flights over flights.
    type: ratio
    type_params:
      numerator: probe_cancelled_flights
      denominator: probe_flights
  - name: probe_departure_delay
    label: Probe departure delay
    description: Total departure delay.
    type: simple
    type_params:
      measure: probe_departure_delay_total
saved_queries:
  - name: probe_rate_by_day
    description: The cancellation rate by day.
    query_params:
      metrics:
        - probe_cancellation_rate
      group_by:
        - TimeDimension('metric_time', 'day')
exposures:
  - name: probe_dashboard
    label: Probe dashboard
    type: dashboard
    description: Reads the cancellation rate.
    owner:
      name: Probe
      email: probe@example.org
    depends_on:
      - metric('probe_cancellation_rate')
"""


def _with_time_spine(path: Path) -> None:
    """dim_dates as MetricFlow's time spine, unless the project declares it already."""
    document = yaml.safe_load(path.read_text())
    model = next(m for m in document["models"] if m["name"] == "dim_dates")
    if "time_spine" in model:
        return
    model["time_spine"] = {"standard_granularity_column": "date_id"}
    for column in model["columns"]:
        if column["name"] == "date_id":
            column["granularity"] = "day"
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def semantic_manifest(tmp_path_factory: pytest.TempPathFactory, built_days: dict) -> dict:
    """``dbt parse`` of a copy of the project with PROBE_YAML added: its manifest."""
    base = tmp_path_factory.mktemp("semantic")
    copy = base / "project"
    ignored = shutil.ignore_patterns(
        ".venv", ".git", "target", "logs", "data", "warehouse", "build"
    )
    shutil.copytree(ROOT, copy, ignore=ignored)
    _with_time_spine(copy / "models" / "marts" / "core" / "dim_dates.yml")
    (copy / "models" / "marts" / "probe.yml").write_text(PROBE_YAML)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(copy))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    try:
        outcome = run_dbt(Project.discover(copy), ["parse"], "ci", base / "dbt")
    finally:
        monkeypatch.undo()
    assert outcome.success
    return json.loads((base / "dbt" / "target" / "manifest.json").read_text())


def test_impact_reaches_metrics_saved_queries_and_exposures(
    semantic_manifest: dict, traced: lineage.ColumnLineage
) -> None:
    assert f"metric.{PROBE}_cancellation_rate" in semantic_manifest["metrics"]
    used = impact.compute(semantic_manifest, traced)
    metric = "metric." + PROBE
    cancelled = impact.downstream(traced, used, (FCT, "is_cancelled")).consumers
    # through the filter of the cancelled count, then the ratio, its saved query and exposure
    assert {
        f"{metric}_cancelled_flights",
        f"{metric}_cancellation_rate",
        "saved_query.nycflights.probe_rate_by_day",
        "exposure.nycflights.probe_dashboard",
    } <= cancelled
    assert f"{metric}_flights" not in cancelled
    assert f"{metric}_departure_delay" not in cancelled
    # a measure's expression, from two zones upstream
    delay = impact.downstream(traced, used, (TRUSTED, "departure_delay_minutes")).consumers
    assert f"{metric}_departure_delay" in delay
    assert f"{metric}_cancellation_rate" not in delay
    # the measure's time dimension places every row in metric_time
    day = impact.downstream(traced, used, (FCT, "flight_date")).consumers
    assert {f"{metric}_flights", f"{metric}_departure_delay"} <= day
    # a column no semantic element reads
    assert not any(
        uid.startswith(metric)
        for uid in impact.downstream(traced, used, (FCT, "origin_wind_speed_mph")).consumers
    )


def test_exposures_use_every_column_of_their_models(
    artefacts: tuple[dict, dict], traced: lineage.ColumnLineage
) -> None:
    manifest, _catalog = artefacts
    used = impact.compute(manifest, traced)
    for key in [(FCT, "arrival_delay_minutes"), (FCT, "is_cancelled"), (FCT, "flight_id")]:
        found = impact.downstream(traced, used, key)
        # independently: the columns whose upstream closure holds the column
        expected = {
            (uid, column)
            for uid, columns in traced.columns.items()
            for column in columns
            if key in traced.ancestors((uid, column))
        }
        assert found.columns == expected
        readers = {uid for uid, _column in expected | {key}}
        exposures = {
            uid
            for uid, exposure in manifest["exposures"].items()
            if readers & set(exposure["depends_on"]["nodes"])
        }
        assert {uid for uid in found.consumers if uid.startswith("exposure.")} == exposures
    assert DASHBOARD in impact.downstream(traced, used, (FCT, "arrival_delay_minutes")).consumers


@pytest.fixture(scope="module")
def context() -> Iterator[BrowserContext]:
    """One chromium for the module's tests; each test has a page of its own."""
    with chromium({"width": 1400, "height": 1000}) as context:
        yield context


@pytest.fixture
def browser(context: BrowserContext) -> Iterator[Watched]:
    watched = Watched(context)
    yield watched
    context.unroute("**/*")
    watched.page.close()


def _open_on(browser: Watched, path: Path, unique_id: str, pick: bool = True) -> None:
    """The docs on ``unique_id``'s page, the panel open, the model picked in its list."""
    page = browser.page
    page.goto(f"{path.as_uri()}#!/model/{unique_id}")
    page.wait_for_selector("#CL-open")
    page.click("#CL-open")
    page.wait_for_selector("#CL-graph .dag-node")
    if pick:
        page.select_option("#CL-model", unique_id)


def test_panel_opens_on_the_model_of_the_page(browser: Watched, built_days: dict) -> None:
    path = built_days["docs"].path
    page = browser.page
    _open_on(browser, path, TRUSTED, pick=False)
    assert page.input_value("#CL-model") == TRUSTED
    columns = json.loads(page.evaluate("JSON.stringify(window.COLUMN_LINEAGE.columns)"))
    first = columns[TRUSTED][0]
    assert page.inner_text("#CL-title") == f"trusted_flights.{first}"
    assert page.inner_text("#CL-open") == "Column lineage: trusted_flights"
    # another model's page: the panel follows it when opened again
    page.click("#CL-close")
    page.evaluate(f"window.location.hash = '#!/model/{FCT}'")
    page.click("#CL-open")
    assert page.input_value("#CL-model") == FCT
    assert page.inner_text("#CL-title").startswith("fct_flights.")
    assert browser.external == []
    assert browser.errors == []


# Whether a node of the graph is wholly inside the graph's visible box and the window.
IN_SIGHT = """(node) => {
    const r = node.getBoundingClientRect();
    const v = node.closest('#CL-graph').getBoundingClientRect();
    return r.left >= v.left - 0.5 && r.right <= v.right + 0.5
        && r.top >= v.top - 0.5 && r.bottom <= v.bottom + 0.5
        && r.left >= 0 && r.right <= window.innerWidth
        && r.top >= 0 && r.bottom <= window.innerHeight;
}"""


def _in_sight(page: Page, unique_key: str) -> bool:
    return page.eval_on_selector(f"#CL-graph .dag-node[data-id='{unique_key}']", IN_SIGHT)


def _outside(page: Page) -> list[str]:
    """Nodes of the graph that stay out of sight when the graph is scrolled to them."""
    return page.evaluate(
        f"""() => {{
            const inSight = {IN_SIGHT};
            const out = [];
            for (const node of document.querySelectorAll('#CL-graph .dag-node')) {{
                node.scrollIntoView({{block: 'nearest', inline: 'nearest'}});
                if (!inSight(node)) out.push(node.getAttribute('data-id'));
            }}
            return out;
        }}"""
    )


def test_graph_fits_or_scrolls(browser: Watched, built_days: dict) -> None:
    path = built_days["docs"].path
    page = browser.page
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_on(browser, path, FCT)
    page.click("button.cl-column[data-column='flight_id']")
    nodes = page.locator("#CL-graph .dag-node")
    drawn = {nodes.nth(i).get_attribute("data-id") for i in range(nodes.count())}
    assert {f"{TRUSTED}|flight_id", f"{FCT}|flight_id"} <= drawn
    # wider than the window: it opens with the chosen column in sight, and it scrolls to
    # every other node
    width = page.evaluate("document.querySelector('#CL-graph svg').getBoundingClientRect().width")
    assert width > 1280
    assert _in_sight(page, f"{FCT}|flight_id")
    assert _in_sight(page, f"{TRUSTED}|flight_id")
    assert _outside(page) == []
    browser.shot("column-lineage-scrolled")
    # fitted: the whole graph at once, no scrolling
    page.click("#CL-fit")
    assert page.evaluate(
        "(() => { const g = document.querySelector('#CL-graph');"
        " return g.scrollWidth <= g.clientWidth; })()"
    )
    for i in range(nodes.count()):
        assert _in_sight(page, nodes.nth(i).get_attribute("data-id") or "")
    browser.shot("column-lineage-fitted")
    assert browser.errors == []


def test_impact_view_lists_downstream_columns_and_exposures(
    browser: Watched, built_days: dict, artefacts: tuple[dict, dict], traced: lineage.ColumnLineage
) -> None:
    manifest, _catalog = artefacts
    key = (FCT, "arrival_delay_minutes")
    expected = impact.downstream(traced, impact.compute(manifest, traced), key)
    page = browser.page
    _open_on(browser, built_days["docs"].path, FCT)
    page.click("button.cl-column[data-column='arrival_delay_minutes']")
    page.click("#CL-view-impact")
    listed = page.eval_on_selector_all(
        "#CL-impact-columns li[data-key]", "items => items.map(i => i.dataset.key)"
    )
    assert {tuple(k.split("|")) for k in listed} == expected.columns
    assert "model.nycflights.mart_performance__days|average_arrival_delay_minutes" in listed
    exposures = page.eval_on_selector_all(
        "#CL-impact-exposure li[data-key]", "items => items.map(i => i.dataset.key)"
    )
    assert set(exposures) == {uid for uid in expected.consumers if uid.startswith("exposure.")}
    assert DASHBOARD in exposures
    drawn = page.locator("#CL-graph .dag-node").count()
    assert drawn == 1 + len(expected.columns) + len(expected.consumers)
    assert page.locator(f"#CL-graph .dag-node[data-id='{DASHBOARD}']").count() == 1
    assert _in_sight(page, f"{FCT}|arrival_delay_minutes")
    assert _outside(page) == []
    browser.shot("column-lineage-impact")
    assert browser.external == []
    assert browser.errors == []


def test_impact_view_lists_metrics(
    browser: Watched,
    built_days: dict,
    semantic_manifest: dict,
    traced: lineage.ColumnLineage,
    tmp_path: Path,
) -> None:
    # the docs page of built_days with the panel's data from the copy with the probe metrics
    static = (built_days["target_dir"] / "static_index.html").read_text()
    page_file = tmp_path / "docs.html"
    page_file.write_text(docs.render(static, docs.lineage_payload(semantic_manifest, traced)))
    expected = impact.downstream(
        traced, impact.compute(semantic_manifest, traced), (FCT, "is_cancelled")
    )
    page = browser.page
    _open_on(browser, page_file, FCT)
    page.click("button.cl-column[data-column='is_cancelled']")
    page.click("#CL-view-impact")
    for kind, part in (("metric.", "metric"), ("saved_query.", "saved-query")):
        listed = page.eval_on_selector_all(
            f"#CL-impact-{part} li[data-key]", "items => items.map(i => i.dataset.key)"
        )
        assert set(listed) == {uid for uid in expected.consumers if uid.startswith(kind)}
    metrics = page.inner_text("#CL-impact-metric")
    assert "Probe cancellation rate" in metrics and "Probe flights" not in metrics.split("\n")
    assert "Probe dashboard" in page.inner_text("#CL-impact-exposure")
    browser.shot("column-lineage-impact-metrics")
    assert browser.errors == []
