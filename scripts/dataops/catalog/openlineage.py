"""OpenLineage events of a finished dbt run, for a team's lineage catalog (Marquez and the like).

``dbt-ol`` (openlineage-dbt) wraps the dbt command line and reads the artifacts
after the run; dataops runs dbt in-process, so this module does what ``dbt-ol``
does once a run is over: openlineage-dbt's ``DbtLocalArtifactProcessor`` turns
``manifest.json`` and ``run_results.json`` into a START and a COMPLETE (or FAIL)
event per model, seed and snapshot, with its inputs, its output, the output's
schema and its column lineage (parsed from the compiled SQL by openlineage-sql),
between the START and the end of a parent job for the whole run. The events go
through openlineage-python's client: a ``FileTransport`` appending one JSON event
per line to ``<warehouse>/openlineage/<target>.jsonl``, or an ``HttpTransport``
to ``OPENLINEAGE_URL`` when it is set.

Opt-in: nothing is emitted unless ``DATAOPS_OPENLINEAGE`` is ``1`` (or ``on``) or
``OPENLINEAGE_URL`` is set. Each event carries the model's compiled SQL and its
columns, so a run of the whole project writes about a megabyte, and parsing the
SQL for column lineage costs seconds per run (docs/observability.md, OpenLineage,
has the command that measures both).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dataops.catalog import openlineage_columns
from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)
# openlineage-dbt's processor warns about every test of a snapshot ("Model node connected to
# test ... not found", its events of tests look for models only): its errors only.
processor_log = logging.getLogger(f"{__name__}.processor")
processor_log.setLevel(logging.ERROR)

SWITCH_VARIABLE = "DATAOPS_OPENLINEAGE"
# "0" leaves out the project's column lineage facets (most of the events' cost)
COLUMNS_VARIABLE = "DATAOPS_OPENLINEAGE_COLUMNS"
URL_VARIABLE = "OPENLINEAGE_URL"
NAMESPACE_VARIABLE = "OPENLINEAGE_NAMESPACE"
DEFAULT_NAMESPACE = "dataops"
FOLDER = "openlineage"
ON = ("1", "on", "true", "yes")
# A Spark session inside this process (profiles.yml, target spark) has no server to name.
SPARK_SESSION_NAMESPACE = "spark://localhost"


@dataclass(frozen=True)
class Emitted:
    """What ``emit`` sent: events in all, jobs with events, where, and how long it took."""

    events: int
    nodes: int
    destination: str
    seconds: float


def enabled() -> bool:
    """Whether runs emit events: ``DATAOPS_OPENLINEAGE=1`` or ``OPENLINEAGE_URL`` set."""
    switch = os.environ.get(SWITCH_VARIABLE, "").strip().lower()
    return switch in ON or bool(os.environ.get(URL_VARIABLE, "").strip())


def events_path(project: Project, target: str) -> Path:
    return project.warehouse_dir / FOLDER / f"{target}.jsonl"


def _client(project: Project, target: str) -> tuple[Any, str]:
    from openlineage.client.client import OpenLineageClient
    from openlineage.client.transport.file import FileConfig, FileTransport

    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        # the client reads OPENLINEAGE_URL, OPENLINEAGE_ENDPOINT and OPENLINEAGE_API_KEY
        return OpenLineageClient(), url
    path = events_path(project, target)
    path.parent.mkdir(parents=True, exist_ok=True)
    transport = FileTransport(FileConfig(log_file_path=str(path), append=True))
    return OpenLineageClient(transport=transport), str(path)


def _processor_class() -> type:
    from openlineage.common.provider.dbt import DbtLocalArtifactProcessor
    from openlineage.common.provider.dbt.processor import Adapter

    class Processor(DbtLocalArtifactProcessor):
        """openlineage-dbt's processor, naming a Spark session's datasets too."""

        def extract_namespace(self, profile: dict) -> str:
            if self.adapter_type == Adapter.SPARK and profile.get("method") == "session":
                return SPARK_SESSION_NAMESPACE
            return super().extract_namespace(profile)

    return Processor


def processor(project: Project, target: str, target_dir: Path) -> Any:
    """openlineage-dbt's processor over the artifacts in ``target_dir`` of a run on ``target``."""
    from openlineage.common.provider.dbt.utils import PRODUCER

    return _processor_class()(
        producer=PRODUCER,
        project_dir=str(project.root),
        target=target,
        target_path=str(target_dir),
        job_namespace=os.environ.get(NAMESPACE_VARIABLE, DEFAULT_NAMESPACE),
        logger=processor_log,
    )


def run_events(project: Project, target: str, target_dir: Path) -> list[Any]:
    """The events of the run whose artifacts are in ``target_dir``: parent START, nodes, end."""
    from openlineage.client.event_v2 import RunState
    from openlineage.common.provider.dbt import ParentRunMetadata
    from openlineage.dbt import dbt_run_event, dbt_run_event_start

    for name in ("manifest.json", "run_results.json"):
        if not (target_dir / name).is_file():
            raise DataOpsError(
                f"no {name} in {target_dir}: no dbt run to describe",
                "run dataops build (or dataops publish) first",
            )
    parse = processor(project, target, target_dir)
    start = dbt_run_event_start(parse.job_name, parse.job_namespace, None)
    parse.dbt_run_metadata = ParentRunMetadata(
        run_id=start.run.runId,
        job_name=start.job.name,
        job_namespace=start.job.namespace,
        root_parent_run_id=start.run.runId,
        root_parent_job_name=start.job.name,
        root_parent_job_namespace=start.job.namespace,
    )
    try:
        nodes = parse.parse().events()
    except NotImplementedError as error:  # an adapter the processor does not know
        raise DataOpsError(
            f"no OpenLineage events for target {target}: {error}",
            f"unset {SWITCH_VARIABLE} for this target",
        ) from error
    _add_seed_and_snapshot_inputs(parse, nodes)
    _add_column_lineage(project, target, parse, nodes)
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    failed = any(
        result.get("status") in ("error", "fail", "runtime error")
        for result in results.get("results", [])
    )
    end = dbt_run_event(
        RunState.FAIL if failed else RunState.COMPLETE,
        parse.job_name,
        parse.job_namespace,
        run_id=start.run.runId,
    )
    for event in (start, end):
        for facet in ("processing_engine", "dbt_run"):
            if nodes and facet in nodes[0].run.facets:
                event.run.facets[facet] = nodes[0].run.facets[facet]
    return [start, *nodes, end]


def _add_seed_and_snapshot_inputs(parse: Any, nodes: list[Any]) -> None:
    """The seeds and snapshots a model reads, among its inputs.

    openlineage-dbt's processor takes a model's inputs from its model and source
    parents only; the marts read snapshots (the reference history) and seeds (the
    holidays, the rule catalogue).
    """
    from openlineage.common.provider.dbt.processor import ModelNode

    manifest = parse.manifest
    for event in nodes:
        node = event.job.facets.get("dbt_node")
        unique_id = getattr(node, "unique_id", None)
        if unique_id is None or not event.job.name.endswith((".run", ".snapshot")):
            continue
        known = {dataset.name for dataset in event.inputs or []}
        for parent in manifest["parent_map"].get(unique_id, []):
            if not parent.startswith(("seed.", "snapshot.")):
                continue
            dataset = parse.node_to_dataset(
                ModelNode(type="model", metadata_node=manifest["nodes"][parent]), has_facets=True
            )
            if dataset.name not in known:  # a dataset, as the processor's own inputs are
                event.inputs = [*(event.inputs or []), dataset]
                known.add(dataset.name)


def _add_column_lineage(project: Project, target: str, parse: Any, nodes: list[Any]) -> None:
    """The project's column lineage on each model's output (``openlineage_columns``)."""
    warehouse = project.warehouse_path(target)
    if project.engine(target) != "duckdb" or not warehouse.is_file():
        return
    if os.environ.get(COLUMNS_VARIABLE, "").strip().lower() in ("0", "off", "false", "no"):
        return
    try:
        namespace = parse.dataset_namespace
        added = openlineage_columns.add_to(nodes, parse.manifest, warehouse, namespace)
    except (duckdb.Error, ValueError, KeyError) as error:
        log.warning("OpenLineage: no column lineage facets for %s (%s)", target, error)
        return
    log.debug("OpenLineage: column lineage of %d outputs", added)


def emit(project: Project, target: str, target_dir: Path) -> Emitted:
    """Send the events of the run in ``target_dir`` to the file or the URL."""
    started = time.monotonic()
    events = run_events(project, target, target_dir)
    client, destination = _client(project, target)
    for event in events:
        client.emit(event)
    client.close(timeout=30)
    nodes = {event.job.name for event in events[1:-1]}
    seconds = round(time.monotonic() - started, 2)
    log.info(
        "OpenLineage: %d events of %d jobs to %s in %.1f s",
        len(events),
        len(nodes),
        destination,
        seconds,
    )
    return Emitted(len(events), len(nodes), destination, seconds)


def emit_if_enabled(project: Project, target: str, target_dir: Path) -> Emitted | None:
    """``emit`` when the setting asks for it; a failure to emit is logged, never raised."""
    if not enabled():
        return None
    try:
        return emit(project, target, target_dir)
    except (DataOpsError, OSError, ValueError) as error:
        log.warning("OpenLineage events not emitted: %s", error)
        return None


def read_events(path: Path) -> list[dict]:
    """The events a file transport wrote, one JSON object per line."""
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
