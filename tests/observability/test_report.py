"""The observability report, read from the tables a real build recorded."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from dataops.bench import report as report_bench
from dataops.core.errors import DataOpsError
from dataops.observability import report, report_lineage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def payload(built_days: dict) -> dict:
    manifest = json.loads((built_days["target_dir"] / "manifest.json").read_text())
    return report.collect(built_days["warehouse"], manifest)


def test_latest_test_statuses_match_the_build(payload: dict, built_days: dict) -> None:
    build_runs = [run for run in payload["invocations"] if run["command"] == "build"]
    assert len(build_runs) == 1
    latest = Counter(test["status"] for test in payload["tests"].values())
    assert latest == built_days["build"].tests
    assert build_runs[0]["status"] == "warn"  # the known defects of the data warn


def test_every_built_model_has_its_latest_run_and_rows(payload: dict, built_days: dict) -> None:
    con = duckdb.connect(str(built_days["warehouse"]), read_only=True)
    try:
        fct_rows = con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
    finally:
        con.close()
    fct = payload["nodes"]["model.nycflights.fct_flights"]
    assert fct["status"] == "success" and fct["seconds"] > 0
    assert payload["volumes"]["model.nycflights.fct_flights"]["counts"][-1][1] == fct_rows
    manifest = json.loads((built_days["target_dir"] / "manifest.json").read_text())
    built = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot", "seed")
    }
    succeeded = {uid for uid, node in payload["nodes"].items() if node["status"] == "success"}
    assert succeeded == built


def test_lineage_nodes_carry_the_worst_latest_status(payload: dict) -> None:
    graph = payload["lineage"]
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert "source.nycflights.flights.flights" in nodes
    assert "exposure.nycflights.on_time_performance_dashboard" in nodes
    assert ["model.nycflights.fct_flights", "model.nycflights.mart_performance__days"] in graph[
        "edges"
    ]
    warned_models = {
        test["model"] for test in payload["tests"].values() if test["status"] == "warn"
    }
    assert warned_models
    for model in warned_models:
        assert nodes[model]["status"] == "warn", model


def test_worst_status_order() -> None:
    assert report_lineage.worst(["pass", "warn", "success"]) == "warn"
    assert report_lineage.worst(["warn", "fail", "skipped"]) == "fail"
    assert report_lineage.worst(["fail", "error"]) == "error"
    assert report_lineage.worst([]) == "none"


def test_report_file_is_self_contained(built_days: dict, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    outcome = report.generate(
        built_days["warehouse"], built_days["target_dir"] / "manifest.json", output
    )
    html = output.read_text()
    assert outcome.invocations >= 1
    assert "window.REPORT" in html and "Plotly" in html
    # nothing is loaded from elsewhere: no external script, style or image source
    for marker in ("<script src", "<link rel='stylesheet'", 'src="http', "src='http"):
        assert marker not in html


def test_a_warehouse_with_nothing_recorded_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(DataOpsError, match="nothing was recorded"):
        report.collect(empty, None)


def test_synthesised_history_repeats_the_recorded_runs(built_days: dict, tmp_path: Path) -> None:
    warehouse = built_days["warehouse"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        per_build = con.execute(
            "select count(*) from observability.test_results"
            " inner join observability.invocations using (invocation_id)"
            " where command = 'build'"
        ).fetchall()[0][0]
    finally:
        con.close()
    result = report_bench.run(warehouse, built_days["target_dir"] / "manifest.json", tmp_path, 7)
    assert result.runs == 7 and result.recorded_runs == 1
    assert result.rows["test_results"] == 7 * per_build
    payload = report.collect(tmp_path / "history_7.duckdb", None)
    starts = [run["started_at"] for run in payload["invocations"]]
    assert len(set(starts)) == 7 and starts == sorted(starts)
    assert all(len(test["history"]) == 7 for test in payload["tests"].values())
