"""The analysis backbone end to end on two weeks of the real January 2013.

The shared fixture ``trained_weeks`` (conftest.py) builds 2013-01-01..14 on the
ci target with no champion, trains twice with ``dataops train``, then feeds
2013-01-15 as sent and 2013-01-16 with its temperatures 30 F higher and builds
again. These tests read what it left, then change it: labels shuffled in the
warehouse (refused by the gate), and rollbacks of the champion alias. The Models page
of the report and the MLflow UI are opened in chromium over the same store.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from dataops.cli import main
from dataops.core.build import build
from dataops.core.project import Project
from dataops.ml import features, monitoring, registry, scoring
from dataops.observability import report
from tests.conftest import ORDINARY_DAY, ROOT, SHIFTED_DAY, TRAIN_END, TRAIN_START
from tests.observability.test_browser import Watched

pytestmark = pytest.mark.e2e

MODEL_NAME = "arrival_delay"
PREDICTIONS = "model.nycflights.ml_delay_predictions"
DRIFT_TEST = "test.nycflights.model_feature_drift_is_within_bounds"
AUC_TEST = "test.nycflights.model_daily_roc_auc_is_above_the_bound"
# The metrics of a run that depend on the data and the seed only (not on timing).
COMPARED_PREFIXES = ("validation_", "baseline_validation_", "fairness_")


def query(project: Project, sql: str, parameters: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def status_of(outcome, prefix: str) -> str:
    matches = [status for uid, status in outcome.statuses.items() if uid.startswith(prefix)]
    assert len(matches) == 1, (prefix, matches)
    return matches[0]


# The report's Models page is drawn here rather than in test_browser.py: the two weeks
# trained (trained_weeks_store) are built by the worker that runs this file, once.
# It runs first, on the registry as the fixture left it.


@pytest.fixture(scope="module")
def models_report(trained_weeks_store: dict) -> Path:
    """The report of the warehouse a champion scored (trained_weeks), with its Models page."""
    base = trained_weeks_store["base"]
    output = base / "report-models.html"
    warehouse = trained_weeks_store["warehouse"]
    report.generate(warehouse, base / "scored" / "target" / "manifest.json", output)
    return output


def test_report_models_page(browser: Watched, models_report: Path) -> None:
    page = browser.page
    page.goto(models_report.as_uri())
    models = page.evaluate("window.REPORT.models")
    page.click("#tabs button[data-page=models]")
    page.wait_for_selector("#chart-model-daily .main-svg")
    champion = models["champion"]
    assert champion is not None
    assert page.inner_text("[data-counter='champion'] .value") == f"v{champion}"
    assert page.locator("#model-versions tbody tr").count() == len(models["versions"]) >= 2
    for chart in ("daily", "rates", "drift", "fairness-airline", "fairness-origin", "importance"):
        assert page.locator(f"#chart-model-{chart} .main-svg").count() >= 1, chart
    # the day 30 F warmer is listed among the drifted days, after the training window
    flags = page.inner_text("#model-drift-flags")
    assert "2013-01-16" in flags and "origin_temperature_fahrenheit" in flags
    assert int(page.inner_text("[data-counter='days with drift'] .value")) >= 1
    days = [day for day in models["daily"] if not day["in_training_window"]]
    assert int(page.inner_text("[data-counter='days monitored after training'] .value")) == len(
        days
    )
    # a click on a version shows the gate's checks and its metrics
    page.click("#model-versions tbody tr >> nth=0")
    page.wait_for_selector("#model-version-detail h3")
    newest = models["versions"][0]
    assert page.inner_text("#model-version-detail h3").startswith(f"v{newest['version']}")
    checks = page.locator("#model-version-detail table >> nth=0").locator("tbody tr")
    assert checks.count() == len(newest["gate"]["checks"])
    browser.shot("report-models")
    assert browser.external == []
    assert browser.errors == []


# The bounding boxes of the right axis's title and of its tick labels.
RIGHT_AXIS = """() => {
    const box = (e) => { const r = e.getBoundingClientRect();
        return [r.left, r.right, r.top, r.bottom]; };
    const chart = document.querySelector('#chart-model-rates');
    return {
        title: Array.from(chart.querySelectorAll('.g-y2title text')).map(box),
        ticks: Array.from(chart.querySelectorAll('.y2tick text')).map(box),
    };
}"""


def test_report_models_counters_and_rates_chart(browser: Watched, models_report: Path) -> None:
    page = browser.page
    page.goto(models_report.as_uri())
    models = page.evaluate("window.REPORT.models")
    page.click("#tabs button[data-page=models]")
    page.wait_for_selector("#chart-model-rates .main-svg")
    # the drift counters count the days of the drift table's rows
    rows = page.eval_on_selector_all(
        "#model-drift-flags tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))",
    )
    drifted = [d for d in models["drift"] if d["drifted"]]
    assert len(rows) == len(drifted) >= 1
    assert int(page.inner_text("[data-counter='days with drift'] .value")) == len(
        {row[0] for row in rows}
    )
    after = {row[0] for row in rows if row[5] == "no"}
    counter = page.locator("[data-counter='days with drift after training']")
    assert int(counter.locator(".value").inner_text()) == len(after)
    assert ("good" in (counter.get_attribute("class") or "").split()) == (not after)
    # both shares are drawn, as lines over the bars, and the right axis's title clears
    # its numbers
    traces = page.evaluate(
        "document.getElementById('chart-model-rates').data"
        ".map(t => [t.name, t.yaxis || 'y', t.y.filter(v => v !== null).length])"
    )
    drawn = {name: (axis, points) for name, axis, points in traces}
    assert drawn["delayed share"][1] == drawn["called delayed"][1] == len(models["daily"]) > 0
    assert page.locator("#chart-model-rates .scatterlayer .trace").count() == 2
    assert page.locator("#chart-model-rates .scatterlayer .js-line").count() == 2
    boxes = page.evaluate(RIGHT_AXIS)
    assert boxes["title"] and boxes["ticks"]
    title_left = min(box[0] for box in boxes["title"])
    assert all(box[1] <= title_left for box in boxes["ticks"]), boxes
    browser.shot("report-models-rates")
    assert browser.errors == []


def test_without_a_champion_the_build_goes_on_and_says_what_to_do(trained_weeks: dict) -> None:
    first = trained_weeks["first_build"]
    assert first.success
    assert first.statuses[PREDICTIONS] == "success"
    assert first.tests.get("fail", 0) == 0 and first.tests.get("error", 0) == 0
    assert trained_weeks["first_predictions"] == 0
    log = trained_weeks["first_log"]
    assert f"no champion model {MODEL_NAME} in" in log
    assert "run dataops train, then dbt build -s ml_delay_predictions+" in log


def test_training_twice_on_the_same_data_and_seed_gives_the_same_metrics(
    trained_weeks: dict,
) -> None:
    assert trained_weeks["trained"] == [0, 0]
    client = registry.client(trained_weeks["project"].warehouse_dir)
    first, second = (client.get_model_version(MODEL_NAME, str(n)) for n in (1, 2))
    runs = [client.get_run(version.run_id).data for version in (first, second)]
    compared = [
        {k: v for k, v in run.metrics.items() if k.startswith(COMPARED_PREFIXES)} for run in runs
    ]
    assert len(compared[0]) > 20
    assert compared[0] == compared[1]
    assert 0.65 < compared[0]["validation_roc_auc"] < 1
    assert compared[0]["validation_roc_auc"] > compared[0]["baseline_validation_roc_auc"]
    data_tags = [{k: v for k, v in run.tags.items() if k.startswith("data.")} for run in runs]
    assert data_tags[0] == data_tags[1]
    # the second passed the gate against the first (same ROC AUC, within the tolerance)
    assert second.tags[registry.TAG_PROMOTED] == "true"
    assert first.tags[registry.TAG_PROMOTED] == "true"


def test_the_fingerprint_names_the_rows_their_keys_and_the_build(trained_weeks: dict) -> None:
    project = trained_weeks["project"]
    client = registry.client(project.warehouse_dir)
    tags = client.get_run(client.get_model_version(MODEL_NAME, "1").run_id).data.tags
    # the marts held the first two weeks when the versions were trained
    window = [TRAIN_START, TRAIN_END]
    for name, relation in (("train", "ml_delay_train"), ("validation", "ml_delay_validation")):
        keys = [
            row[0]
            for row in query(
                project,
                f"select flight_id from marts.{relation} where flight_date between ? and ?",
                window,
            )
        ]
        digest = hashlib.sha256("".join(f"{key}\n" for key in sorted(keys)).encode()).hexdigest()
        assert tags[f"data.{name}_rows"] == str(len(keys))
        assert tags[f"data.{name}_keys_sha256"] == digest
    first_build = query(
        project,
        "select invocation_id from observability.node_runs where unique_id = ?"
        " order by started_at limit 1",
        [features.FEATURES_MODEL],
    )[0][0]
    assert tags["data.dbt_invocation_id"] == first_build
    assert (tags["data.first_date"], tags["data.last_date"]) == tuple(map(str, window))


def test_predictions_carry_the_champion_version(trained_weeks: dict) -> None:
    project = trained_weeks["project"]
    champion = registry.champion(project.warehouse_dir, MODEL_NAME)
    assert champion is not None and str(champion.version) == "2"
    assert trained_weeks["scored_build"].statuses[PREDICTIONS] == "success"
    flights = query(project, "select count(*) from marts.ml_delay_features")[0][0]
    rows = query(
        project,
        "select model_name, model_version, decision_threshold, count(*),"
        " count(*) filter (where is_predicted_delayed = (delay_probability >= decision_threshold))"
        " from marts.ml_delay_predictions group by all",
    )
    threshold = float(champion.tags[registry.TAG_THRESHOLD])
    assert rows == [(MODEL_NAME, 2, threshold, flights, flights)]
    days = query(project, "select count(distinct flight_date) from marts.ml_delay_predictions")
    assert days == [(16,)]


def test_prediction_columns_have_the_declared_types(trained_weeks: dict) -> None:
    declared_file = ROOT / "models" / "marts" / "ml" / "ml_delay_predictions.yml"
    declared = yaml.safe_load(declared_file.read_text(encoding="utf-8"))["models"][0]["columns"]
    stored = query(
        trained_weeks["project"],
        "select column_name, lower(data_type) from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'ml_delay_predictions'"
        " order by ordinal_position",
    )
    assert stored == [(column["name"], column["data_type"]) for column in declared]
    assert stored == [(name, kind) for name, kind in scoring.COLUMNS]


# A week of January (about 6,000 flights) scored 700 at a time: several batches.
WEEK = (date(2013, 1, 8), date(2013, 1, 14))
BATCH_ROWS = 700


def test_scoring_in_batches_gives_the_predictions_of_the_whole_frame(trained_weeks: dict) -> None:
    import pyarrow as pa

    project = trained_weeks["project"]
    champion = registry.champion(project.warehouse_dir, MODEL_NAME)
    assert champion is not None
    pipeline = registry.load_model(champion)
    columns = tuple(str(column) for column in pipeline.feature_names_in_)
    threshold = float(champion.tags[registry.TAG_THRESHOLD])
    scorer = scoring.Scorer(MODEL_NAME, int(champion.version), threshold, datetime(2013, 1, 15))
    con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
    try:
        week = con.sql(
            "select * from marts.ml_delay_features where flight_date between ? and ?",
            params=list(WEEK),
        )
        whole = week.df()
        batches = list(scoring.predicted(week, pipeline, scorer, BATCH_ROWS))
    finally:
        con.close()
    expected = pipeline.predict_proba(features.feature_frame(whole, columns))[:, 1]

    assert len(whole) > 5 * BATCH_ROWS
    assert len(batches) >= 6 and all(0 < batch.num_rows <= BATCH_ROWS for batch in batches)
    scored = pa.Table.from_batches(batches).to_pandas()
    # no flight dropped nor scored twice
    assert scored["flight_id"].is_unique
    assert sorted(scored["flight_id"]) == sorted(whole["flight_id"].astype(str))
    scored = scored.set_index("flight_id").loc[whole["flight_id"].astype(str)]
    assert np.array_equal(scored["delay_probability"].to_numpy(), expected)
    assert np.array_equal(scored["is_predicted_delayed"].to_numpy(), expected >= threshold)
    assert list(scored["flight_date"]) == [value.date() for value in whole["flight_date"]]
    assert set(scored["model_version"]) == {int(champion.version)}
    assert pa.Table.from_batches(batches).schema == scoring.schema()


def test_monitoring_a_few_days_at_a_time_records_what_all_days_at_once_record(
    trained_weeks: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = trained_weeks["project"]
    bounds = (0.25, 1.0, 0.2)

    def recorded(chunk_rows: int) -> tuple[list, list]:
        monkeypatch.setattr(monitoring, "CHUNK_ROWS", chunk_rows)
        con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
        try:
            predictions = con.sql("select * from marts.ml_delay_predictions")
            flights = con.sql("select * from marts.ml_delay_features")
            args = (con, predictions, flights, None, project.warehouse_dir)
            performance = monitoring.daily_performance(*args).fetchall()
            drifts = monitoring.feature_drift(*args, *bounds).fetchall()
        finally:
            con.close()
        # recorded_at (the last column) is the time of recording
        return sorted(row[:-1] for row in performance), sorted(row[:-1] for row in drifts)

    days = query(project, "select count(distinct flight_date) from marts.ml_delay_predictions")
    whole = recorded(10**9)
    chunked = recorded(1_500)  # about two days of January at a time
    assert len(whole[0]) == days[0][0] and len(whole[1]) > days[0][0]
    assert chunked == whole


def test_a_day_30_degrees_warmer_is_flagged_by_the_drift_test_an_ordinary_day_is_not(
    trained_weeks: dict,
) -> None:
    project = trained_weeks["project"]
    assert trained_weeks["shifted_readings"] > 60
    drifted = query(
        project,
        "select flight_date, feature_name, outside_range_share"
        " from observability.model_feature_drift"
        " where is_drifted and not is_in_training_window order by all",
    )
    assert {day for day, _feature, _share in drifted} == {SHIFTED_DAY}
    by_feature = {feature: share for _day, feature, share in drifted}
    assert by_feature["origin_temperature_fahrenheit"] > 0.9
    # the warn test flags exactly those rows: the shifted day, not the ordinary one
    assert status_of(trained_weeks["scored_build"], DRIFT_TEST) == "warn"
    flagged = query(
        project,
        "select distinct flight_date from test_failures.model_feature_drift_is_within_bounds",
    )
    assert flagged == [(SHIFTED_DAY,)]
    recorded = query(
        project,
        "select flight_date, bool_and(not is_drifted), count(*)"
        " from observability.model_feature_drift where flight_date = ? group by 1",
        [ORDINARY_DAY],
    )
    assert recorded == [(ORDINARY_DAY, True, len(features.FEATURES) + 1)]


def test_the_champion_accuracy_is_recorded_for_every_scored_day(trained_weeks: dict) -> None:
    project = trained_weeks["project"]
    days = query(
        project,
        "select flight_date, row_count, roc_auc, brier_score, positive_rate,"
        " is_in_training_window from observability.model_daily_performance order by 1",
    )
    assert [row[0] for row in days] == [date(2013, 1, day) for day in range(1, SHIFTED_DAY.day + 1)]
    flights = query(project, "select count(*) from marts.ml_delay_features")[0][0]
    assert sum(row[1] for row in days) == flights
    assert all(0 <= row[2] <= 1 and 0 <= row[3] <= 1 and 0 < row[4] < 1 for row in days)
    assert [row[5] for row in days] == [row[0] <= TRAIN_END for row in days]
    # the warn test flags the days after the training window below the bound, no other
    low = [row[0] for row in days if not row[5] and row[2] < 0.6]
    expected = "warn" if low else "pass"
    assert status_of(trained_weeks["scored_build"], AUC_TEST) == expected


def _set_labels(project: Project, labels: dict[str, bool]) -> None:
    con = duckdb.connect(str(project.warehouse_path("ci")))
    try:
        con.execute("create temp table new_labels (flight_id varchar, label boolean)")
        con.executemany("insert into new_labels values (?, ?)", list(labels.items()))
        con.execute(
            "update marts.ml_delay_features as flights set is_arrival_delayed = new_labels.label"
            " from new_labels where flights.flight_id = new_labels.flight_id"
        )
    finally:
        con.close()


def test_a_model_trained_on_shuffled_labels_is_refused(
    trained_weeks: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    project = trained_weeks["project"]
    before = registry.champion(project.warehouse_dir, MODEL_NAME)
    original = dict(
        query(project, "select flight_id, is_arrival_delayed from marts.ml_delay_features")
    )
    keys = sorted(original)
    shuffled = np.random.default_rng(11).permutation([original[key] for key in keys])
    _set_labels(project, dict(zip(keys, map(bool, shuffled), strict=True)))
    capsys.readouterr()
    try:
        code = main(["train", "--target", "ci"])
    finally:
        _set_labels(project, original)
    captured = capsys.readouterr()
    assert code == 1
    assert "is registered but not promoted" in captured.err
    assert "validation ROC AUC vs floor" in captured.err and "short by" in captured.err
    assert f"the champion stays v{before.version}" in captured.err
    assert "FAIL  validation ROC AUC vs floor" in captured.out
    after = registry.champion(project.warehouse_dir, MODEL_NAME)
    assert str(after.version) == str(before.version)
    client = registry.client(project.warehouse_dir)
    refused = registry.versions(client, MODEL_NAME)[0]
    assert refused.tags[registry.TAG_PROMOTED] == "false"
    assert "vs floor" in refused.tags[registry.TAG_SUMMARY]
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert f"v{refused.version}" in listing and "vs floor" in listing


def test_rollback_restores_the_previous_champion(
    trained_weeks: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    project = trained_weeks["project"]
    client = registry.client(project.warehouse_dir)

    def aliases() -> tuple[str, str]:
        return tuple(
            str(registry.version_by_alias(client, MODEL_NAME, alias).version)
            for alias in (registry.CHAMPION, registry.PREVIOUS)
        )

    assert aliases() == ("2", "1")
    assert main(["model", "rollback"]) == 0
    assert "champion of arrival_delay: v1 (was v2)" in capsys.readouterr().out
    assert aliases() == ("1", "2")
    assert main(["model", "rollback"]) == 0  # and forward again
    assert aliases() == ("2", "1")
    assert main(["model", "rollback"]) == 0
    assert aliases() == ("1", "2")
    history = registry.history(client, MODEL_NAME)
    assert [event["champion"] for event in history] == ["1", "2", "1", "2", "1"]
    # the next build scores every flight with the champion rolled back to
    outcome = build(
        project,
        "ci",
        select=["ml_delay_predictions+"],
        artifacts_dir=Path(trained_weeks["base"]) / "rolled-back",
    )
    assert outcome.statuses[PREDICTIONS] == "success"
    assert query(project, "select distinct model_version from marts.ml_delay_predictions") == [(1,)]


def test_rollback_without_a_registry_says_what_to_do(tmp_path: Path) -> None:
    from dataops.core.errors import DataOpsError

    with pytest.raises(DataOpsError, match="no model registry") as raised:
        registry.rollback(tmp_path, MODEL_NAME)
    assert "dataops train" in raised.value.hint


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mlflow_ui(trained_weeks: dict) -> Iterator[str]:
    """``mlflow ui`` over the trained store on 127.0.0.1; stopped, with its workers, after."""
    port = _free_port()
    command = registry.ui_command(trained_weeks["project"].warehouse_dir, port)
    log = (trained_weeks["base"] / "mlflow-ui.log").open("wb")
    server = subprocess.Popen(
        command,
        env={**os.environ, **registry.UI_ENVIRONMENT},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"mlflow ui exited: see {log.name}"
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"mlflow ui did not answer: see {log.name}"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_mlflow_ui_lists_the_experiment_and_the_champion(
    browser: Watched, mlflow_ui: str, trained_weeks: dict
) -> None:
    client = registry.client(trained_weeks["project"].warehouse_dir)
    champion = registry.version_by_alias(client, "arrival_delay", registry.CHAMPION)
    assert champion is not None
    browser.allowed = (mlflow_ui,)
    page = browser.page
    page.goto(f"{mlflow_ui}/#/experiments")
    page.get_by_text("arrival_delay").first.wait_for(timeout=60_000)
    browser.shot("mlflow-experiments")
    page.goto(f"{mlflow_ui}/#/models/arrival_delay")
    row = page.locator("tr, [role=row]", has_text=f"Version {champion.version}").first
    row.wait_for(timeout=60_000)
    # the alias, not previous_champion: one version holds it
    alias = re.compile(r"\bchampion\b")
    assert alias.search(row.inner_text())
    rows = page.locator("tr, [role=row]", has_text="Version ").all_inner_texts()
    assert sum(bool(alias.search(text)) for text in rows) == 1
    browser.shot("mlflow-models")
    assert browser.external == []


def _runs(trained_weeks: dict) -> tuple[object, list]:
    client = registry.client(trained_weeks["project"].warehouse_dir)
    experiment = client.get_experiment_by_name(MODEL_NAME)
    assert experiment is not None
    return experiment, client.search_runs([experiment.experiment_id])


def test_the_experiment_is_model_training_in_the_mlflow_ui(trained_weeks: dict) -> None:
    """MLflow's UI shows GenAI views (traces, sessions) unless the experiment says otherwise."""
    experiment, _ = _runs(trained_weeks)
    assert experiment.tags[registry.EXPERIMENT_KIND_TAG] == registry.EXPERIMENT_KIND


def test_a_run_lasts_the_whole_training_it_times(trained_weeks: dict) -> None:
    """The run's duration in the UI covers the training time dataops train prints."""
    _, runs = _runs(trained_weeks)
    assert len(runs) >= 2
    for run in runs:
        lasted = (run.info.end_time - run.info.start_time) / 1000
        assert lasted >= run.data.metrics["training_seconds"] > 0


def test_a_run_names_its_training_and_validation_sets_with_their_fingerprint(
    trained_weeks: dict,
) -> None:
    _, runs = _runs(trained_weeks)
    for run in runs:
        tags = run.data.tags
        inputs = {
            {tag.key: tag.value for tag in found.tags}["mlflow.data.context"]: found
            for found in run.inputs.dataset_inputs
        }
        assert set(inputs) == {"training", "validation"}
        for context, relation, split in (
            ("training", features.TRAIN_RELATION, "train"),
            ("validation", features.VALIDATION_RELATION, "validation"),
        ):
            found = inputs[context]
            logged = {tag.key: tag.value for tag in found.tags}
            assert found.dataset.name == relation
            assert logged["rows"] == tags[f"data.{split}_rows"]
            assert logged["keys_sha256"] == tags[f"data.{split}_keys_sha256"]
            assert logged["first_date"] == tags["data.first_date"]
            profile = yaml.safe_load(found.dataset.profile)
            assert profile["num_rows"] == int(tags[f"data.{split}_rows"])
            assert features.LABEL in found.dataset.schema


def test_the_mlflow_ui_opens_the_experiment_on_its_runs_and_datasets(
    browser: Watched, mlflow_ui: str, trained_weeks: dict
) -> None:
    experiment, runs = _runs(trained_weeks)
    browser.allowed = (mlflow_ui,)
    page = browser.page
    page.goto(registry.ui_url(mlflow_ui, experiment.experiment_id))
    page.get_by_text(runs[0].info.run_name).first.wait_for(timeout=60_000)
    page.get_by_text(features.TRAIN_RELATION).first.wait_for(timeout=60_000)
    browser.shot("mlflow-experiment-runs")
    assert browser.external == []
