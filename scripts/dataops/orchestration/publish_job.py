"""The publish job: ``dataops publish`` (write-audit-publish into prod) as one step.

``dataops.delivery.publish.publish`` ingests the inbox into a candidate of prod, measures
the sources' freshness, builds and tests it, and swaps it into
prod only if every blocking test passed. What a publish put into prod is
recorded on the asset graph from the artifacts saved with prod: each source with
the files ingested, each dbt node the build (re)built, each asset check with its
test's result. A blocked publish records nothing there: prod did not change.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of
# the functions it runs (contexts, configs) at definition time.
import json
from collections.abc import Iterator, Mapping

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    Config,
    JobDefinition,
    OpExecutionContext,
    job,
    op,
)
from dagster_dbt.asset_utils import get_asset_check_key_for_test
from pydantic import Field

from dataops.delivery import publish as publish_module
from dataops.delivery.publish import PROD, Places
from dataops.ingest.run import IngestSummary
from dataops.observability import activity, activity_hooks, resources
from dataops.orchestration import steps
from dataops.orchestration.assets import TRANSLATOR
from dataops.orchestration.failures import TRANSIENT, stop
from dataops.orchestration.settings import WRITER_POOL, Settings

BUILT = ("model", "snapshot", "seed")


class PublishConfig(Config):
    full_refresh: bool = Field(
        default=False,
        description="Rebuild every incremental model of the candidate from the landed files"
        " (after a model's columns changed): dataops publish --full-refresh.",
    )
    full_audit: bool = Field(
        default=False,
        description="Build and test everything over the whole history, not only the day's"
        " work and the rows it wrote: dataops publish --full-audit (the weekly schedule).",
    )


def published_events(
    places: Places,
    sources: Mapping[str, AssetKey],
    summaries: list[IngestSummary],
    known: tuple[set[AssetKey], set[AssetCheckKey]],
    costs: Mapping[str, object] | None = None,
) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
    """What the publish put into prod, as events of the assets and checks defined.

    ``costs``: what the publish cost (``resources.metadata``), on the sources' events.
    """
    known_assets, known_checks = known
    for source, key in sorted(sources.items()):
        metadata: dict[str, object] = {"target": PROD}
        for summary in summaries:
            counts = steps.ingest_metadata(summary, None if source == "ingestion" else source)
            metadata.update({name: value for name, value in counts.items() if name != "target"})
        metadata.update(costs or {})
        yield AssetMaterialization(asset_key=key, metadata=metadata, description="published")
    manifest = json.loads((places.prod_artifacts / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((places.prod_artifacts / "run_results.json").read_text(encoding="utf-8"))
    for result in results.get("results", []):
        unique_id, status = result["unique_id"], result.get("status")
        node = manifest["nodes"].get(unique_id)
        if node is None:
            continue
        metadata = {
            "target": PROD,
            "unique_id": unique_id,
            "status": status,
            "execution time (s)": round(float(result.get("execution_time") or 0.0), 3),
        }
        if node["resource_type"] in BUILT and status == "success":
            key = TRANSLATOR.get_asset_key(node)
            if key in known_assets:
                yield AssetMaterialization(asset_key=key, metadata=metadata)
        elif node["resource_type"] == "test":
            check = get_asset_check_key_for_test(manifest, TRANSLATOR, unique_id, None)
            if check is None or check not in known_checks:
                continue
            if result.get("failures") is not None:
                metadata["dagster_dbt/failed_row_count"] = result["failures"]
            yield AssetCheckEvaluation(
                asset_key=check.asset_key,
                check_name=check.name,
                passed=status == "pass",
                severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
                metadata=metadata,
            )


def publish_job(
    settings: Settings,
    sources: Mapping[str, AssetKey],
    known: tuple[set[AssetKey], set[AssetCheckKey]],
) -> JobDefinition:
    project = settings.project
    places = Places.of(project)

    @op(
        name="write_audit_publish",
        out={},  # what it produces is prod, recorded as the assets' materializations
        retry_policy=TRANSIENT,
        pool=WRITER_POOL,
        description="dataops publish: ingest into a candidate of prod, build and test it, swap"
        " it into prod if every blocking test passed.",
    )
    def publish_op(
        context: OpExecutionContext, config: PublishConfig
    ) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
        summaries: list[IngestSummary] = []

        def ingest_into(target: str) -> int:
            # the candidate's build measures the sources' freshness after its parse
            summary = steps.ingest_inbox(context, settings, target, freshness=False)
            summaries.append(summary)
            return sum(counts.landed for counts in summary.sources.values())

        options = {
            "full_refresh": config.full_refresh,
            "full_audit": config.full_audit,
            "dagster_run_id": context.run_id,
        }
        entry = activity.entry_of(project, "publish", options, lambda _project, _options: PROD)
        with activity.recording(entry, after=activity_hooks.after_publish):
            with steps.retried_if_transient(), resources.recorded(project, PROD, "publish") as run:
                try:
                    outcome = publish_module.publish(
                        project,
                        ingest_into,
                        config.full_refresh,
                        full_audit=config.full_audit,
                        # the record goes into the candidate: prod is not written after the swap
                        before_swap=lambda candidate: resources.record_into(
                            project, run, candidate
                        ),
                    )
                except Exception:
                    steps.send_alerts(context, settings, PROD)  # a candidate left is alerted
                    raise
                if not outcome.published:
                    run.status = "blocked"  # prod stays as it was: the record waits beside it
            if not outcome.published:
                alerted = steps.send_alerts(context, settings, PROD)
                failed = [
                    f"{node.unique_id} ({node.status}"
                    + ("" if node.failing_rows is None else f", {node.failing_rows:,} failing rows")
                    + ")"
                    for node in outcome.build.failed_nodes
                ]
                message = (
                    f"publish blocked: {len(failed)} nodes failed; prod unchanged ({places.prod});"
                    f" candidate kept for inspection: {places.candidate}"
                )
                entry.refusal = message
                raise stop(
                    message,
                    steps.alerted(alerted, [f"publish:{PROD}"]),
                    {"failed nodes": failed},
                )
        context.log.info(f"published: {places.prod} ({outcome.build.tests_line})")
        try:  # prod is published: recording it must not publish again on a retry
            yield from published_events(places, sources, summaries, known, resources.metadata(run))
        except Exception as error:
            raise stop(f"published, but not recorded on the asset graph: {error}", False) from error
        steps.send_alerts(context, settings, PROD, places.prod_artifacts / "manifest.json")

    @job(
        name="publish",
        tags=settings.warehouse_tag,
        description="Write-audit-publish into prod (dataops publish); nothing reaches prod"
        " unless every blocking test passed.",
    )
    def publish() -> None:
        publish_op()

    return publish
