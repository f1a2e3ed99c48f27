"""The assets: ingest upstream of the dbt sources, every dbt model, snapshot and seed after it.

Every dbt node comes from the manifest (``@dbt_assets``), its tests as asset
checks, grouped by zone (landing, staging, trusted, quarantine, marts,
observability, snapshots). The ingest step produces the dbt sources: one asset
per source table, all taken by one ``dataops ingest``. Materialized, they write
the orchestration's target (``dev`` or ``ci``); when the orchestration delivers
to prod, prod is written by the publish job only and these steps refuse to run.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of
# the functions it runs (contexts, configs) at definition time.
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    MaterializeResult,
    Output,
    multi_asset,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dataops.core.dbt import dbt_environment
from dataops.ingest.inputs import verify_inputs
from dataops.observability import activity, resources
from dataops.observability.activity import Entry
from dataops.orchestration import checks, steps
from dataops.orchestration.failures import TRANSIENT, is_transient, stop
from dataops.orchestration.settings import TARGET_VARIABLE, WRITER_POOL, Settings

INGEST_GROUP = "inbox"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


class ZoneTranslator(DagsterDbtTranslator):
    """dbt nodes grouped by zone: the folder under models/, or snapshots and seeds."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        kind = dbt_resource_props["resource_type"]
        if kind in ("snapshot", "seed"):
            return f"{kind}s"
        if kind == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(
        self,
        asset_spec: AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: Any,
    ) -> AssetCheckSpec | None:
        """dagster-dbt's check of a dbt test, described by what the test verifies."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=checks.describe(manifest["nodes"][unique_id]))


TRANSLATOR = ZoneTranslator()


def source_keys(manifest: Mapping[str, Any]) -> dict[str, AssetKey]:
    """The asset key of each dbt source table, by source name (flights, weather, ingestion...)."""
    return {
        props["source_name"]: TRANSLATOR.get_asset_key(props)
        for props in manifest["sources"].values()
    }


def refuse_prod(settings: Settings) -> None:
    if settings.publishes:
        raise stop(
            "the orchestration delivers to prod, which only the publish job writes (it builds"
            " and tests a candidate first): launch the job publish, or set"
            f" {TARGET_VARIABLE}=dev to build dev from the asset graph",
            alerted=True,
        )


def ingest_asset(settings: Settings, keys: Mapping[str, AssetKey]) -> Any:
    """One ``dataops ingest`` producing every dbt source table."""
    specs = [
        AssetSpec(
            key,
            group_name=INGEST_GROUP,
            description=(
                "The ingestion log: every file taken from the inbox, landed, duplicate or rejected."
                if source == "ingestion"
                else f"The {source} files of the inbox, checked and landed (dataops ingest)."
            ),
            kinds={"duckdb"},
        )
        for source, key in sorted(keys.items())
    ]

    @multi_asset(
        name="ingest",
        specs=specs,
        # ingest takes the whole inbox; a selection of sources records only theirs
        can_subset=True,
        retry_policy=TRANSIENT,
        pool=WRITER_POOL,
        description="dataops ingest: data/inbox/ -> data/landing/ and the ingestion log.",
    )
    def ingest(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        refuse_prod(settings)
        with steps.retried_if_transient():
            with resources.recorded(settings.project, settings.target, "ingest") as run:
                summary = steps.ingest_inbox(context, settings, settings.target)
            for source, key in keys.items():
                if key not in context.selected_asset_keys:
                    continue
                metadata = steps.ingest_metadata(summary, None if source == "ingestion" else source)
                metadata.update(resources.metadata(run))  # what the ingest cost
                yield MaterializeResult(asset_key=key, metadata=metadata)
        steps.send_alerts(context, settings, settings.target)

    return ingest


def with_costs(events: list[Any], costs: dict[str, Any]) -> Iterator[Any]:
    """dagster-dbt's events, each materialization with the build's costs in its metadata."""
    for event in events:
        if isinstance(event, Output | AssetMaterialization):
            yield event.with_metadata({**event.metadata, **costs})
        else:
            yield event


def build_and_alert(
    context: AssetExecutionContext, dbt: DbtCliResource, settings: Settings, entry: Entry
) -> Iterator[Any]:
    """One ``dbt build`` of the selection, its events with their costs, then the alerts."""
    project, target = settings.project, settings.target
    target_path = settings.artifacts_dir(target) / "target"
    with steps.retried_if_transient():
        verify_inputs(project, target)  # the landed files it reads are intact
        # A test runs when every node it reads is in the build: a selection made in the
        # UI does not run the relationship tests of models it does not build.
        with resources.recorded(project, target, "build") as run:  # dbt's process: children
            with dbt_environment(project, target, {"DBT_INDIRECT_SELECTION": "buildable"}):
                invocation = dbt.cli(
                    ["build"], context=context, raise_on_error=False, target_path=target_path
                )
            events = list(invocation.stream())
        # each materialization carries what the build cost: known once dbt ended, so
        # the events are sent then (dbt's own lines stream to the step's log meanwhile)
        yield from with_costs(events, resources.metadata(run))
    outcome = steps.send_alerts(context, settings, target, target_path / "manifest.json")
    if not invocation.is_successful():
        error = invocation.get_error()
        text = str(error) if error else "dbt build failed"
        if is_transient(text):
            raise RuntimeError(text)  # a lock: the retry policy tries again
        failed = steps.failed_nodes(target_path / "run_results.json")
        message = f"dbt build on {target} failed: {len(failed)} nodes ({', '.join(failed[:5])})"
        entry.refusal = message  # as dataops build, whose failed tests refuse the run
        raise stop(
            message,
            steps.alerted(outcome, [steps.alert_key(uid) for uid in failed]),
            {"failed nodes": failed},
        )


def dbt_models_asset(settings: Settings, manifest: Path) -> Any:
    """Every dbt model, snapshot and seed, built with their tests by one ``dbt build``."""

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=TRANSLATOR,
        name="dbt_models",
        retry_policy=TRANSIENT,
        pool=WRITER_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        refuse_prod(settings)
        # who built, from which code, how it ended: in the activity log, as dataops build
        options = {"dagster_run_id": context.run_id, "assets": len(context.selected_asset_keys)}
        entry = activity.entry_of(
            settings.project, "build", options, lambda _project, _options: settings.target
        )
        with activity.recording(entry):
            yield from build_and_alert(context, dbt, settings, entry)

    return dbt_models


def dbt_resource(settings: Settings) -> DbtCliResource:
    root = str(settings.project.root)
    return DbtCliResource(
        project_dir=root,
        profiles_dir=root,
        target=settings.target,
        dbt_executable=str(DBT_EXECUTABLE),
    )
