"""The inbox sensor, the daily schedule, and the alerts on runs that failed.

The sensor asks the inbox what ingest would take now (``dataops.ingest.inbox``: the
entries, then ``ready_files`` with the settle time), so a file still being
written (held open for writing, or changed within the settle time) starts no
run. Files already requested are kept in the sensor's cursor until they leave
the inbox: the same files never start a second run; new ones start one run for
all that is ready. While a run it requested waits in the queue, that run will
take the new files too: no second one is requested.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of
# the functions it runs (contexts, configs) at definition time.
import hashlib
import json

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from dataops.data.sources import load_feeds
from dataops.ingest import inbox as inbox_module
from dataops.observability import alerts
from dataops.orchestration.failures import ALERTED
from dataops.orchestration.settings import Settings

# The inbox is listed every 5 s (a directory listing and a stat per file): a day's file
# waits for the tick at most that long before its publish is requested.
SENSOR_SECONDS = 5
# Runs of assets materialized from the UI belong to Dagster's implicit job.
ASSET_JOB_PREFIX = "__ASSET_JOB"


def ready_files(settings: Settings) -> tuple[list[str], list[inbox_module.Waiting]]:
    """Fingerprints of the inbox entries ingest would take now, and the files left waiting."""
    project = settings.project
    entries = inbox_module.list_entries(project.inbox_dir, load_feeds(project.models_dir))
    ready, waiting = inbox_module.ready_files(entries, inbox_module.settle_seconds())
    prints = sorted(
        f"{entry.source}/{entry.name}:{entry.stat.st_size}:{entry.stat.st_mtime_ns}"
        f":{entry.stat.st_ino}"
        for entry in ready
    )
    return prints, waiting


def inbox_sensor(settings: Settings, job: JobDefinition) -> SensorDefinition:
    where = "publish into prod" if settings.publishes else f"ingest and build {settings.target}"

    @sensor(
        name="inbox",
        job=job,
        minimum_interval_seconds=SENSOR_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Files arrived in {settings.project.inbox_dir}, complete: one run to {where}.",
    )
    def inbox(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        ready, waiting = ready_files(settings)
        requested = set(json.loads(context.cursor)) if context.cursor else set()
        new = [item for item in ready if item not in requested]
        still = f"; {len(waiting)} still being written" if waiting else ""
        if not new:
            context.update_cursor(json.dumps(sorted(requested & set(ready))))
            return SkipReason(f"nothing new: {len(ready)} files already requested{still}")
        queued = context.instance.get_runs(
            RunsFilter(
                job_name=job.name,
                statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED],
            ),
            limit=1,
        )
        if queued:
            return SkipReason(f"run {queued[0].run_id} has not started yet: it takes the new files")
        context.update_cursor(json.dumps(ready))
        key = hashlib.sha256("\n".join(ready).encode()).hexdigest()[:20]
        return RunRequest(run_key=f"inbox-{key}", tags={"dataops/new_files": str(len(new))})

    return inbox


def daily_schedule(settings: Settings, job: JobDefinition) -> ScheduleDefinition:
    what = "publish into prod" if settings.publishes else f"ingest and build {settings.target}"
    return ScheduleDefinition(
        name="daily",
        job=job,
        cron_schedule=settings.cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Every day ({settings.cron} UTC): {what}, whatever arrived; the sources'"
        " freshness is checked, so a source that stopped sending is alerted.",
    )


def weekly_full_audit(settings: Settings, job: JobDefinition) -> ScheduleDefinition:
    """Once a week, a publish whose tests read the whole history (``--full-audit``)."""
    return ScheduleDefinition(
        name="weekly_full_audit",
        job=job,
        cron_schedule=settings.audit_cron,
        execution_timezone="UTC",
        run_config={"ops": {"write_audit_publish": {"config": {"full_audit": True}}}},
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Every week ({settings.audit_cron} UTC): dataops publish --full-audit,"
        " every model built and every test run over the whole history (a day's publish"
        " tests the rows it wrote).",
    )


def _job_label(job_name: str) -> str:
    return "assets" if job_name.startswith(ASSET_JOB_PREFIX) else job_name


def _failure_text(context: RunFailureSensorContext) -> tuple[str, bool]:
    """What failed, and whether the steps' own alerts already said it."""
    lines, alerted = [], []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        user = data.user_failure_data if data else None
        metadata = user.metadata if user else {}
        marker = metadata.get(ALERTED)
        alerted.append(bool(marker is not None and getattr(marker, "value", marker)))
        message = (user.description if user else None) or (
            data.error.message if data and data.error else ""
        )
        lines.append(f"{event.step_key}: {message.strip()}")
    if not lines:
        lines.append(context.failure_event.message or "the run failed")
    return "\n".join(lines), bool(alerted) and all(alerted)


def alert_sensors(settings: Settings, targets: dict[str, str]) -> list[SensorDefinition]:
    """A failed run opens an alert (unless its steps' alerts said it); a success resolves it."""

    def target_of(job_name: str) -> str:
        return targets.get(job_name, settings.target)

    @run_failure_sensor(
        name="alert_on_run_failure",
        default_status=DefaultSensorStatus.RUNNING,
        description="A run that failed for a reason the history does not record (the disk,"
        " a lock held too long, a landed file that changed) is alerted.",
    )
    def on_failure(context: RunFailureSensorContext) -> None:
        run = context.dagster_run
        text, already = _failure_text(context)
        if already:
            context.log.info(f"run {run.run_id}: its failure was alerted by its steps")
            return
        outcome = alerts.check_run(
            settings.project, target_of(run.job_name), _job_label(run.job_name), run.run_id, text
        )
        context.log.info(f"run {run.run_id}: {len(outcome.delivered)} alerts sent")

    @run_status_sensor(
        name="alert_on_run_success",
        run_status=DagsterRunStatus.SUCCESS,
        default_status=DefaultSensorStatus.RUNNING,
        description="A job that failed before succeeds again: its alert is resolved.",
    )
    def on_success(context: RunStatusSensorContext) -> None:
        run = context.dagster_run
        alerts.check_run(
            settings.project, target_of(run.job_name), _job_label(run.job_name), run.run_id, None
        )

    return [on_failure, on_success]
