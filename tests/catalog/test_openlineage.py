"""OpenLineage events of a dataops build: a week of 2013 built on ci with the events switched on.

``dataops build --target ci`` (in a copy of the project, whose dbt ``target/`` no other
test writes) with ``DATAOPS_OPENLINEAGE=1`` writes the run's events to
``<warehouse>/openlineage/ci.jsonl``; each is read back into openlineage-python's event
classes. The same run's events are then sent to ``OPENLINEAGE_URL`` (a local HTTP
server), and the Spark session target's datasets are named without a server.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from dataops.catalog import openlineage
from dataops.cli import main
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.run import ingest
from dataops.observability import activity

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
WEEK_START, WEEK_END = date(2013, 1, 1), date(2013, 1, 7)
RELATIONS = ("model", "seed", "snapshot")
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)
# openlineage-dbt's events of a node's own run (its tests' events name the node too)
RUN_JOBS = (".build.run", ".build.snapshot")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> dict:
    base = tmp_path_factory.mktemp("openlineage")
    shutil.copytree(ROOT, base / "project", ignore=COPY_IGNORE)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(base / "project"))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.delenv(openlineage.URL_VARIABLE, raising=False)
    monkeypatch.setenv(openlineage.SWITCH_VARIABLE, "1")
    try:
        project = Project.discover(base / "project")
        feed(feeds, project.inbox_dir, WEEK_START, WEEK_END)
        ingest(project, "ci")
        code = main(["build", "--target", "ci"])
        target_dir = project.root / "target"
        yield {
            "code": code,
            "project": project,
            "manifest": json.loads((target_dir / "manifest.json").read_text(encoding="utf-8")),
            "results": json.loads((target_dir / "run_results.json").read_text(encoding="utf-8")),
            "path": openlineage.events_path(project, "ci"),
            "target_dir": target_dir,
            "runs": activity.runs(project.warehouse_dir),
        }
    finally:
        monkeypatch.undo()


def relation_name(manifest: dict, unique_id: str) -> str:
    node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
    if unique_id.startswith("source."):
        table = node.get("identifier") or node["name"]
    else:
        table = node.get("alias") or node["name"]
    return f"{node['database']}.{node['schema']}.{table}"


def node_events(events: list[dict]) -> dict[str, list[dict]]:
    """The events of each model's and snapshot's run, by its unique_id."""
    found: dict[str, list[dict]] = {}
    for event in events:
        node = event["job"].get("facets", {}).get("dbt_node")
        if node and event["job"]["name"].endswith(RUN_JOBS):
            found.setdefault(node["unique_id"], []).append(event)
    return found


def test_a_week_build_writes_start_and_complete_of_each_model_with_its_inputs_and_output(
    week: dict,
) -> None:
    assert week["code"] == 0
    manifest, events = week["manifest"], openlineage.read_events(week["path"])
    built = [
        result["unique_id"]
        for result in week["results"]["results"]
        if result["unique_id"].split(".")[0] in ("model", "snapshot")
        and result["status"] == "success"
    ]
    assert len(built) > 50
    by_node = node_events(events)
    parent = events[0]
    assert (parent["eventType"], events[-1]["eventType"]) == ("START", "COMPLETE")
    assert events[-1]["run"]["runId"] == parent["run"]["runId"]
    for unique_id in built:
        runs = by_node[unique_id]
        assert [event["eventType"] for event in runs] == ["START", "COMPLETE"], unique_id
        assert len({event["run"]["runId"] for event in runs}) == 1
        node = manifest["nodes"][unique_id]
        expected_inputs = {
            relation_name(manifest, parent_id)
            for parent_id in node["depends_on"]["nodes"]
            if parent_id.split(".")[0] in (*RELATIONS, "source")
        }
        for event in runs:
            assert event["run"]["facets"]["parent"]["run"]["runId"] == parent["run"]["runId"]
            assert {dataset["name"] for dataset in event["inputs"]} == expected_inputs, unique_id
            assert [dataset["name"] for dataset in event["outputs"]] == [
                relation_name(manifest, unique_id)
            ]
    # the build's activity entry says how many events went where
    build = next(run for run in week["runs"] if run["command"] == "build")
    assert build["outcome"] == activity.OK
    sent = build["details"]["openlineage"]
    assert (sent["events"], sent["to"]) == (len(events), str(week["path"]))
    assert sent["seconds"] >= 0


def test_column_lineage_facets_name_columns_of_the_inputs(week: dict) -> None:
    import duckdb

    events = openlineage.read_events(week["path"])
    con = duckdb.connect(str(week["project"].warehouse_path("ci")), read_only=True)
    try:
        rows = con.execute(
            "select table_catalog, table_schema, table_name, column_name"
            " from information_schema.columns"
        ).fetchall()
    finally:
        con.close()
    columns: dict[str, set[str]] = {}
    for database, schema, table, column in rows:
        columns.setdefault(f"{database}.{schema}.{table}", set()).add(column)
    traced = checked = 0
    for runs in node_events(events).values():
        complete = next(event for event in runs if event["eventType"] == "COMPLETE")
        inputs = {dataset["name"] for dataset in complete["inputs"]}
        for output in complete["outputs"]:
            lineage = output["facets"].get("columnLineage", {}).get("fields", {})
            assert set(lineage) <= columns[output["name"]]
            for column in lineage.values():
                for field in column["inputFields"]:
                    # a column of one of the model's inputs, as the warehouse has it (the
                    # sources are files the landing models read, not tables)
                    assert field["name"] in inputs
                    if field["name"] in columns:
                        assert field["field"] in columns[field["name"]]
                        checked += 1
            traced += bool(lineage)
    fct = node_events(events)["model.nycflights.fct_flights"][-1]["outputs"][0]
    untraced = columns[fct["name"]] - set(fct["facets"]["columnLineage"]["fields"])
    # every column of fct_flights is traced but the run's own ones (_processed_at)
    assert all(column.startswith("_") for column in untraced), untraced
    assert traced > 20 and checked > 100


def test_events_parse_back_into_openlineage_python_classes(week: dict) -> None:
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import column_lineage_dataset as columns
    from openlineage.client.serde import Serde

    events = openlineage.read_events(week["path"])
    lineage_facets = 0
    for raw in events:
        outputs = []
        for dataset in raw.get("outputs") or []:
            facets = {}
            if "columnLineage" in dataset["facets"]:
                facet = dataset["facets"]["columnLineage"]
                facets["columnLineage"] = columns.ColumnLineageDatasetFacet(
                    fields={
                        name: columns.Fields(
                            inputFields=[
                                columns.InputField(
                                    namespace=field["namespace"],
                                    name=field["name"],
                                    field=field["field"],
                                )
                                for field in value["inputFields"]
                            ]
                        )
                        for name, value in facet["fields"].items()
                    }
                )
                lineage_facets += 1
            outputs.append(OutputDataset(dataset["namespace"], dataset["name"], facets=facets))
        event = RunEvent(
            eventType=RunState(raw["eventType"]),
            eventTime=raw["eventTime"],
            run=Run(runId=raw["run"]["runId"]),
            job=Job(namespace=raw["job"]["namespace"], name=raw["job"]["name"]),
            producer=raw["producer"],
            inputs=[
                InputDataset(item["namespace"], item["name"]) for item in raw.get("inputs") or []
            ],
            outputs=outputs,
        )
        parsed = Serde.to_dict(event)
        for key in ("eventType", "eventTime", "producer"):
            assert parsed[key] == raw[key]
        assert parsed["run"]["runId"] == raw["run"]["runId"]
        assert (parsed["job"]["namespace"], parsed["job"]["name"]) == (
            raw["job"]["namespace"],
            raw["job"]["name"],
        )
        assert [item["name"] for item in parsed.get("inputs", [])] == [
            item["name"] for item in raw.get("inputs") or []
        ]
        for ours, theirs in zip(parsed.get("outputs", []), raw.get("outputs") or [], strict=True):
            assert ours["name"] == theirs["name"]
            if "columnLineage" in theirs["facets"]:
                kept = ours["facets"]["columnLineage"]["fields"]
                sent = theirs["facets"]["columnLineage"]["fields"]
                assert {
                    name: [f["field"] for f in v["inputFields"]] for name, v in kept.items()
                } == {name: [f["field"] for f in v["inputFields"]] for name, v in sent.items()}
    assert lineage_facets > 0


class Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        Collector.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


def test_events_go_to_openlineage_url_when_set(week: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), Collector)
    Collector.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    project = week["project"]
    try:
        monkeypatch.delenv(openlineage.SWITCH_VARIABLE, raising=False)
        monkeypatch.setenv(openlineage.URL_VARIABLE, f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(project.warehouse_dir))
        written = week["path"].read_text(encoding="utf-8")
        emitted = openlineage.emit_if_enabled(project, "ci", week["target_dir"])
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert emitted is not None and emitted.events == len(Collector.received)
    assert [event["eventType"] for event in Collector.received] == [
        event["eventType"] for event in openlineage.read_events(week["path"])
    ]
    # the file is left as it was: the URL replaces the file transport
    assert week["path"].read_text(encoding="utf-8") == written


def test_off_unless_switched_on(week: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (openlineage.SWITCH_VARIABLE, openlineage.URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    assert not openlineage.enabled()
    assert openlineage.emit_if_enabled(week["project"], "ci", week["target_dir"]) is None
    for value, on in (("1", True), ("on", True), ("0", False), ("", False)):
        monkeypatch.setenv(openlineage.SWITCH_VARIABLE, value)
        assert openlineage.enabled() is on


def test_column_lineage_left_out_when_asked(week: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(openlineage.COLUMNS_VARIABLE, "0")
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(week["project"].warehouse_dir))
    events = openlineage.run_events(week["project"], "ci", week["target_dir"])
    outputs = {
        event.job.facets["dbt_node"].unique_id: event.outputs
        for event in events
        if "dbt_node" in event.job.facets and event.job.name.endswith(RUN_JOBS)
    }
    # fct_flights ends `select * from final`: openlineage-sql's own facet is empty
    assert "columnLineage" not in outputs["model.nycflights.fct_flights"][0].facets
    assert len(outputs) == len(node_events(openlineage.read_events(week["path"])))


@pytest.mark.parametrize(
    ("profile", "namespace"),
    [
        ({"method": "session", "host": "NA"}, openlineage.SPARK_SESSION_NAMESPACE),
        (
            {"method": "thrift", "host": "spark.example", "port": 10000},
            "spark://spark.example:10000",
        ),
    ],
)
def test_spark_targets_datasets_are_named(
    project_env: Project, profile: dict, namespace: str
) -> None:
    from openlineage.common.provider.dbt.processor import Adapter

    parse = openlineage.processor(project_env, "spark", project_env.root / "target")
    parse.adapter_type = Adapter.SPARK
    assert parse.extract_namespace({"type": "spark", **profile}) == namespace
