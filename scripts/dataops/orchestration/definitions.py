"""The Dagster definitions of the pipeline, from the project and its dbt manifest."""

from __future__ import annotations

import logging
import os

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from dataops.delivery.publish import PROD
from dataops.orchestration import assets, outside, training
from dataops.orchestration.manifest import ensure_manifest, load_manifest
from dataops.orchestration.publish_job import publish_job
from dataops.orchestration.sensors import (
    alert_sensors,
    daily_schedule,
    inbox_sensor,
    weekly_full_audit,
)
from dataops.orchestration.settings import HOME_VARIABLE, Settings

log = logging.getLogger(__name__)

BUILD_JOB = "ingest_and_build"
TRAIN_JOB = "train"


def build_definitions(settings: Settings | None = None) -> Definitions:
    """Assets (ingest, every dbt node, training once it exists), jobs, sensors, schedule.

    Sensors: the inbox, the alerts on runs, and the builds made outside Dagster.
    """
    settings = settings or Settings.from_environment()
    if not os.environ.get(HOME_VARIABLE):
        log.warning(
            "%s is not set: Dagster keeps its state in a temporary folder and runs are not"
            " queued one per warehouse; use make orchestrate (%s=%s)",
            HOME_VARIABLE,
            HOME_VARIABLE,
            settings.home,
        )
    manifest_path = ensure_manifest(settings.project, settings.manifest_dir, settings.target)
    sources = assets.source_keys(load_manifest(manifest_path))
    ingest = assets.ingest_asset(settings, sources)
    models = assets.dbt_models_asset(settings, manifest_path)
    defined = [ingest, models]
    publish = publish_job(settings, sources, (set(models.keys), set(models.check_keys)))
    jobs = [publish]
    targets = {publish.name: PROD}
    if settings.publishes:
        sensed = publish
    else:
        sensed = define_asset_job(
            BUILD_JOB,
            selection=AssetSelection.assets(ingest, models),
            tags=settings.warehouse_tag,
            description=f"dataops ingest, then dbt build of every node, on {settings.target}.",
        )
        jobs.append(sensed)
        targets[BUILD_JOB] = settings.target
    if training.available():
        model = training.training_asset(settings)
        defined.append(model)
        jobs.append(define_asset_job(TRAIN_JOB, selection=[model]))
    return Definitions(
        assets=defined,
        jobs=jobs,
        sensors=[
            inbox_sensor(settings, sensed),
            *alert_sensors(settings, targets),
            outside.outside_sensor(
                settings, manifest_path, (set(models.keys), set(models.check_keys))
            ),
        ],
        # the weekly full audit reads the whole history of prod (a day's tests its rows)
        schedules=[daily_schedule(settings, sensed)]
        + ([weekly_full_audit(settings, publish)] if settings.publishes else []),
        resources={"dbt": assets.dbt_resource(settings)},
        executor=in_process_executor,
    )
