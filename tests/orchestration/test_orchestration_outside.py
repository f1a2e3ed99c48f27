"""The asset graph beside builds made outside Dagster: checks described, builds reported.

On the shared three-day build of ci (``built_days``, made by ``dataops build``, not
Dagster), copied: the definitions of target ci read its warehouse; the sensor
``builds_outside_dagster`` is evaluated in-process against an ephemeral instance.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    SensorResult,
    SkipReason,
    build_sensor_context,
)
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY

from dataops.core.project import Project
from dataops.orchestration import outside
from dataops.orchestration.definitions import build_definitions
from dataops.orchestration.settings import Settings
from tests.orchestration.test_orchestration import asset_key_of, isolated

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def outside_build(tmp_path_factory: pytest.TempPathFactory, built_days: dict) -> dict:
    """Definitions of ci over a copy of ``built_days``'s warehouse, and its node runs."""
    base = tmp_path_factory.mktemp("outside")
    monkeypatch = pytest.MonkeyPatch()
    try:
        project: Project = isolated(monkeypatch, base)
        shutil.copytree(
            built_days["base"] / "warehouse",
            project.warehouse_dir,
            ignore=shutil.ignore_patterns("*.tmp"),
        )
        settings = Settings(project, "ci")
        manifest = settings.manifest_dir / "target" / "manifest.json"
        manifest.parent.mkdir(parents=True)
        shutil.copyfile(built_days["target_dir"] / "manifest.json", manifest)
        os.utime(manifest)  # newer than the project: no dbt parse
        defs = build_definitions(settings)
        with duckdb.connect(str(project.warehouse_path("ci")), read_only=True) as con:
            runs = con.execute(
                "select unique_id, resource_type, status, invocation_id from"
                " observability.node_runs"
            ).fetchall()
        yield {
            "settings": settings,
            "defs": defs,
            "manifest": built_days["target_dir"] / "manifest.json",
            "runs": runs,
        }
    finally:
        monkeypatch.undo()


def _manifest(outside_build: dict) -> dict:
    import json

    return json.loads(outside_build["manifest"].read_text())


def test_every_asset_check_says_what_its_test_verifies(outside_build: dict) -> None:
    defs: Definitions = outside_build["defs"]
    manifest = _manifest(outside_build)
    specs = list(defs.resolve_asset_graph().asset_check_keys)
    graph = defs.resolve_asset_graph()
    described = {}
    for key in specs:
        spec = graph.get_check_spec(key)
        unique_id = spec.metadata.get(DAGSTER_DBT_UNIQUE_ID_METADATA_KEY)
        if unique_id is None:
            continue
        described[unique_id] = spec.description
    tests = {uid: node for uid, node in manifest["nodes"].items() if uid in described}
    assert len(tests) > 100
    for unique_id, test in tests.items():
        text = described[unique_id]
        assert text and text.strip(), unique_id
        own = " ".join((test.get("description") or "").split())
        if own:
            assert text.startswith(own)
        elif test.get("test_metadata"):
            assert f"dbt test {test['test_metadata']['name']}" in text
            if test.get("column_name"):
                assert f"`{test['column_name']}`" in text
        if test["config"]["severity"].lower() == "warn":
            assert "does not block" in text
    # two tests on one column say different things
    on_flight_id = {
        described[uid]
        for uid, test in tests.items()
        if test.get("column_name") == "flight_id" and test.get("test_metadata")
    }
    assert len(on_flight_id) >= 2


def _evaluate(defs: Definitions, instance: DagsterInstance, cursor: str | None = None):
    sensor = defs.resolve_sensor_def(outside.SENSOR_NAME)
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return sensor(context)


def test_a_build_made_outside_dagster_is_reported_on_the_asset_graph(
    outside_build: dict,
) -> None:
    defs: Definitions = outside_build["defs"]
    manifest = _manifest(outside_build)
    built = {
        asset_key_of(manifest["nodes"][uid])
        for uid, kind, status, _ in outside_build["runs"]
        if kind in outside.BUILT and status == "success" and uid in manifest["nodes"]
    }
    tests = {
        manifest["nodes"][uid]["name"]: status
        for uid, kind, status, _ in outside_build["runs"]
        if kind == "test" and uid in manifest["nodes"]
    }
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    tests = {name: status for name, status in tests.items() if name in checks}
    with DagsterInstance.ephemeral() as instance:
        result = _evaluate(defs, instance)
        assert isinstance(result, SensorResult)
        materialized = [e for e in result.asset_events if isinstance(e, AssetMaterialization)]
        evaluated = [e for e in result.asset_events if isinstance(e, AssetCheckEvaluation)]
        assert {event.asset_key for event in materialized} == built
        assert len(materialized) == len(built)
        assert {event.check_name: event.passed for event in evaluated} == {
            name: status == "pass" for name, status in tests.items()
        }
        assert any(not event.passed for event in evaluated)  # the warnings of three days
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
        fct = AssetKey(["marts", "fct_flights"])
        entry = instance.get_latest_materialization_event(fct)
        assert entry is not None
        assert entry.asset_materialization.metadata["target"].value == "ci"
        # nothing new since: the cursor skips it
        again = _evaluate(defs, instance, result.cursor)
        assert isinstance(again, SkipReason)
        # what Dagster recorded since the build is not reported again
        instance.report_runless_asset_event(AssetMaterialization(asset_key=fct))
        later = _evaluate(defs, instance)
        assert isinstance(later, SensorResult)
        assert not any(event.asset_key == fct for event in later.asset_events)


def test_no_warehouse_yet_is_skipped(outside_build: dict, tmp_path: Path) -> None:
    settings: Settings = outside_build["settings"]
    project = settings.project
    sensor = outside.outside_sensor(
        Settings(project, "dev"), outside_build["manifest"], (set(), set())
    )
    with DagsterInstance.ephemeral() as instance:
        result = sensor(build_sensor_context(instance=instance))
    assert isinstance(result, SkipReason)
    assert "no warehouse yet" in (result.skip_message or "")
