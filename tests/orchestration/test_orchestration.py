"""The Dagster definitions of the pipeline, checked against dbt's manifest, and run in-process.

The definitions are built once per module (``dbt parse`` into a temporary
DAGSTER_HOME); the runs use real days of 2013 fed into a temporary inbox.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    build_schedule_context,
)

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.observability import activity
from dataops.orchestration import training
from dataops.orchestration.definitions import BUILD_JOB, TRAIN_JOB, build_definitions
from dataops.orchestration.home import prepare_home
from dataops.orchestration.manifest import ensure_manifest
from dataops.orchestration.settings import WAREHOUSE_TAG, WRITER_POOL, Settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
BUILT_TYPES = ("model", "snapshot", "seed")


def isolated(monkeypatch: pytest.MonkeyPatch, base: Path) -> Project:
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.setenv("DAGSTER_HOME", str(base / "dagster"))
    monkeypatch.setenv("DATAOPS_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.delenv("DATAOPS_ALERT_URLS", raising=False)
    monkeypatch.delenv("DATAOPS_ORCHESTRATION_TARGET", raising=False)
    return Project.discover(ROOT)


def parsed_manifest(
    tmp_path_factory: pytest.TempPathFactory, project: Project, manifest_dir: Path
) -> None:
    """The project's manifest, parsed once per test session, copied into ``manifest_dir``."""
    shared = tmp_path_factory.getbasetemp() / "dagster_manifest"
    ensure_manifest(project, shared, "ci")
    ignore = shutil.ignore_patterns(".parse.lock")
    shutil.copytree(shared, manifest_dir, ignore=ignore, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The definitions of target ci, and the manifest they were made from."""
    base = tmp_path_factory.mktemp("orchestration")
    monkeypatch = pytest.MonkeyPatch()
    try:
        project = isolated(monkeypatch, base)
        settings = Settings(project, "ci")
        prepare_home(settings)
        parsed_manifest(tmp_path_factory, project, settings.manifest_dir)
        defs = build_definitions(settings)
        manifest = json.loads((settings.manifest_dir / "target" / "manifest.json").read_text())
        yield {"settings": settings, "defs": defs, "manifest": manifest, "base": base}
    finally:
        monkeypatch.undo()


def dbt_nodes(manifest: dict) -> dict[str, dict]:
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in BUILT_TYPES
    }


def asset_key_of(node: dict) -> AssetKey:
    """dbt's schema (the zone) and the node's name."""
    return AssetKey([node["config"]["schema"], node["name"]])


def generic_tests_on(manifest: dict, nodes: set[str]) -> set[tuple[AssetKey, str]]:
    """(asset, test name) of the generic tests attached to ``nodes`` that read only them."""
    return {
        (asset_key_of(manifest["nodes"][test["attached_node"]]), test["name"])
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and test.get("attached_node") in nodes
        and set(test["depends_on"]["nodes"]) <= nodes
    }


def test_every_dbt_node_is_an_asset_and_every_source_comes_from_ingest(built: dict) -> None:
    defs: Definitions = built["defs"]
    manifest = built["manifest"]
    graph = defs.resolve_asset_graph()
    nodes = dbt_nodes(manifest)
    models = defs.resolve_assets_def(asset_key_of(next(iter(nodes.values()))))
    # one node per model, snapshot and seed file of the project
    files = [
        path
        for folder, patterns in (
            ("models", ("*.sql", "*.py")),
            ("snapshots", ("*.sql",)),
            ("seeds", ("*.csv",)),
        )
        for pattern in patterns
        for path in (ROOT / folder).rglob(pattern)
    ]
    assert len(nodes) == len(files) > 40
    assert set(models.keys) == {asset_key_of(node) for node in nodes.values()}
    sources = {
        AssetKey([item["source_name"], item["name"]]) for item in manifest["sources"].values()
    }
    ingest = defs.resolve_assets_def(AssetKey(["flights", "flights"]))
    assert set(ingest.keys) == sources
    assert ingest.node_def.name == "ingest"
    assert graph.get_all_asset_keys() == set(models.keys) | sources | {training.MODEL_KEY}
    # the landing models read the sources ingest produces
    assert (
        AssetKey(["flights", "flights"])
        in graph.get(AssetKey(["landing", "ldg_flights__flights"])).parent_keys
    )
    # zones as groups
    assert graph.get(AssetKey(["marts", "fct_flights"])).group_name == "marts"
    assert graph.get(AssetKey(["snapshots", "snapshot_planes"])).group_name == "snapshots"
    assert graph.get(AssetKey(["flights", "flights"])).group_name == "inbox"
    # every generic test of a node is an asset check of its asset
    checks = {(key.asset_key, key.name) for key in models.check_keys}
    assert generic_tests_on(manifest, set(nodes)) <= checks


def test_jobs_sensor_schedule_and_one_writer_per_warehouse(built: dict) -> None:
    defs: Definitions = built["defs"]
    settings: Settings = built["settings"]
    build = defs.resolve_job_def(BUILD_JOB)
    publish = defs.resolve_job_def("publish")
    for job in (build, publish):
        assert job.tags[WAREHOUSE_TAG] == str(settings.project.warehouse_dir)
    assert defs.resolve_sensor_def("inbox").job_name == BUILD_JOB  # target ci: the build job
    schedule = defs.resolve_schedule_def("daily")
    assert schedule.job_name == BUILD_JOB and schedule.cron_schedule == "0 6 * * *"
    # a full audit is a publish's: no weekly schedule when the runs build another target
    assert "weekly_full_audit" not in {schedule.name for schedule in defs.schedules}
    for step in ("ingest", "dbt_models"):
        assert build.graph.node_dict[step].definition.pool == WRITER_POOL
    # DAGSTER_HOME's instance queues the runs of one warehouse one at a time
    with DagsterInstance.from_config(str(settings.home)) as instance:
        concurrency = instance.get_concurrency_config()
        assert instance.run_launcher is not None
    limits = concurrency.run_queue_config.tag_concurrency_limits
    assert {"key": WAREHOUSE_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    assert concurrency.pool_config.default_pool_limit == 1
    config = yaml.safe_load((settings.home / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}


def test_prod_is_written_by_the_publish_job_only(built: dict) -> None:
    settings = Settings(built["settings"].project, "prod")
    defs = build_definitions(settings)
    assert defs.resolve_sensor_def("inbox").job_name == "publish"
    assert defs.resolve_schedule_def("daily").job_name == "publish"
    audit = defs.resolve_schedule_def("weekly_full_audit")
    assert audit.job_name == "publish" and audit.cron_schedule == "0 7 * * 0"
    (request,) = audit.evaluate_tick(build_schedule_context()).run_requests
    assert request.run_config == {"ops": {"write_audit_publish": {"config": {"full_audit": True}}}}
    assert BUILD_JOB not in {job.name for job in defs.resolve_all_job_defs()}
    models = defs.resolve_assets_def(AssetKey(["marts", "fct_flights"]))
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[AssetKey(["marts", "dim_dates"])],
            raise_on_error=False,
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "only the publish job writes" in failure.description
    assert not settings.project.warehouse_path("prod").exists()
    assert models.keys  # the asset graph is the same; only its writer changes


def test_training_comes_after_the_ml_datasets(built: dict) -> None:
    assert training.available()  # the project has dataops.ml
    defs = build_definitions(built["settings"])
    graph = defs.resolve_asset_graph()
    model = graph.get(training.MODEL_KEY)
    assert model.parent_keys == set(training.TRAINING_INPUTS)
    assert model.group_name == "ml"
    assert defs.resolve_job_def(TRAIN_JOB).asset_layer.selected_asset_keys == {training.MODEL_KEY}
    assert training.MODEL_KEY not in defs.resolve_job_def(BUILD_JOB).asset_layer.selected_asset_keys


def test_dagster_validates_the_module(built: dict) -> None:
    # the module's data, warehouse and DAGSTER_HOME (the manifest parsed there is reused)
    env = {**os.environ, "DATAOPS_ORCHESTRATION_TARGET": built["settings"].target}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-m",
            "dataops.orchestration",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_a_small_selection_materializes_in_process_with_its_tests_as_checks(
    built: dict, feeds: dict[str, Feed]
) -> None:
    defs: Definitions = built["defs"]
    settings: Settings = built["settings"]
    manifest = built["manifest"]
    project = settings.project
    feed(feeds, project.inbox_dir, date(2013, 1, 1), date(2013, 1, 1))
    graph = defs.resolve_asset_graph()
    selected = AssetSelection.assets(AssetKey(["trusted", "trusted_airlines"])).upstream()
    keys = selected.resolve(graph)
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=list(keys)
        )
    assert result.success
    materialized = {
        event.event_specific_data.materialization.asset_key
        for event in result.get_asset_materialization_events()
    }
    assert materialized == keys
    nodes = {uid for uid, node in dbt_nodes(manifest).items() if asset_key_of(node) in keys}
    expected = generic_tests_on(manifest, nodes)
    evaluations = result.get_asset_check_evaluations()
    assert {(item.asset_key, item.check_name) for item in evaluations} == expected
    assert all(item.passed for item in evaluations)
    con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
    try:
        trusted = con.execute("select count(*) from trusted.trusted_airlines").fetchall()[0][0]
        landed = con.execute("select count(*) from landing.ldg_airlines__airlines").fetchall()[0][0]
    finally:
        con.close()
    assert trusted == landed > 0
    # the step's metadata: what ingest took from the inbox (all of it: one ingest)
    airlines = next(
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
        if event.event_specific_data.materialization.asset_key == AssetKey(["airlines", "airlines"])
    )
    assert airlines.metadata["files landed"].value == 1
    assert not list((project.inbox_dir / "flights").glob("*.csv"))
    # the build and the alerts after each step are in the activity log, as the commands'
    by_command: dict[str, list[dict]] = {}
    for line in activity.runs(project.warehouse_dir):
        if line.get("options", {}).get("dagster_run_id") == result.run_id:
            by_command.setdefault(line["command"], []).append(line)
    [build_line] = by_command["build"]
    assert (build_line["outcome"], build_line["target"]) == ("ok", "ci")
    assert build_line["actor"] and build_line["host"]
    assert by_command["alert"] and all(line["outcome"] == "ok" for line in by_command["alert"])
    assert all("opened" in line["details"] for line in by_command["alert"])
    # each dbt model's materialization carries what the build cost, as the record keeps it
    built_models = [
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
        if event.event_specific_data.materialization.asset_key.path[0] == "trusted"
    ]
    assert built_models
    with duckdb.connect(str(project.warehouse_path("ci")), read_only=True) as con:
        [(wall, peak)] = con.execute(
            "select wall_seconds, peak_rss_bytes from observability.run_resources"
            " where command = 'build' order by ended_at desc limit 1"
        ).fetchall()
    for model in built_models:
        assert model.metadata["peak rss bytes"].value == peak > 0
        assert model.metadata["wall seconds"].value == round(wall, 3)


def test_the_publish_job_publishes_a_day_and_records_it_on_the_asset_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: dict, feeds: dict[str, Feed]
) -> None:
    project = isolated(monkeypatch, tmp_path)
    settings = Settings(project, "prod")
    shutil.copytree(built["settings"].manifest_dir, settings.manifest_dir)  # parsed once
    defs = build_definitions(settings)
    feed(feeds, project.inbox_dir, date(2013, 1, 1), date(2013, 1, 1))
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("publish").execute_in_process(instance=instance)
    assert result.success
    prod = project.warehouse_path("prod")
    con = duckdb.connect(str(prod), read_only=True)
    try:
        days = con.execute("select distinct flight_date from marts.fct_flights").fetchall()
    finally:
        con.close()
    assert days == [(date(2013, 1, 1),)]
    materialized = {
        event.event_specific_data.materialization.asset_key
        for event in result.get_asset_materialization_events()
    }
    # everything but the model, which its own job trains
    assert materialized == defs.resolve_asset_graph().get_all_asset_keys() - {training.MODEL_KEY}
    evaluations = result.get_asset_check_evaluations()
    failing = [item for item in evaluations if not item.passed]
    assert evaluations and all(item.severity.value == "WARN" for item in failing)
    steps = [event.event_type for event in result.all_events]
    assert DagsterEventType.STEP_UP_FOR_RETRY not in steps
    # who published, as the CLI's publish records it, tied to the Dagster run
    runs = [run for run in activity.runs(project.warehouse_dir) if run["command"] == "publish"]
    assert [(run["outcome"], run["target"]) for run in runs] == [("ok", "prod")]
    assert runs[0]["options"]["dagster_run_id"] == result.run_id
    assert runs[0]["actor"] and runs[0]["host"] and runs[0]["details"]["published_at"]
    # what it cost: the sources' materializations carry it, and prod's record keeps it
    ingested = [
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
        if event.event_specific_data.materialization.description == "published"
    ]
    assert ingested and all(m.metadata["peak rss bytes"].value > 0 for m in ingested)
    with duckdb.connect(str(prod), read_only=True) as con:
        recorded = con.execute(
            "select command, status from observability.run_resources where target = 'prod'"
        ).fetchall()
    assert recorded == [("publish", "success")]
