"""The ``dataops`` command line: thin commands over the modules of this package."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataops import build as build_module
from dataops import feed as feed_module
from dataops import ingest as ingest_module
from dataops import spark_cluster
from dataops.errors import DataOpsError
from dataops.project import Project
from dataops.sources import load_feeds

log = logging.getLogger("dataops")
stderr = Console(stderr=True)
stdout = Console()

# Below this many inbox files, ingest is quick enough to need no progress bar.
PROGRESS_MIN_FILES = 20


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from error


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
    )


@click.group()
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Feed, ingest and build the NYC flights DataOps project."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_path=False, show_time=False)],
    )


def _feed(project: Project, start: date | None, end: date | None) -> None:
    feeds = load_feeds(project.models_dir)
    first = start or feed_module.FIRST_DAY
    last = end or (start if start and not end else feed_module.LAST_DAY)
    feed_module.check_range(first, last)
    with _progress() as progress:
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
@click.option("--start", callback=_date, help="First day to replay (default 2013-01-01).")
@click.option("--end", callback=_date, help="Last day to replay (default: --start, or 2013-12-31).")
def feed(start: date | None, end: date | None) -> None:
    """Replay the real 2013 data into data/inbox/, day by day, as the sources send it."""
    _feed(Project.discover(), start, end)


@cli.command()
@click.option("--target", help="dbt target whose warehouse keeps the log (default: profiles.yml).")
def ingest(target: str | None) -> None:
    """Take the inbox's files into data/landing/, checked, deduplicated and logged."""
    _ingest(Project.discover(), target)


def _ingest(project: Project, target: str | None) -> ingest_module.IngestSummary:
    progress = _progress()
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
        summary = ingest_module.ingest(project, target, progress=report)
    finally:
        progress.stop()
    for source, counts in summary.sources.items():
        click.echo(
            f"{source:<9} {counts.landed:>4} landed {counts.duplicate:>4} duplicate"
            f" {counts.rejected:>4} rejected {counts.rows:>8} rows"
            f"  -> {project.landing_dir / source}"
        )
    rejected = summary.rejected
    for outcome in rejected:
        moved = project.data_dir / outcome.landed_path
        for line in (
            f"rejected: {project.inbox_dir / outcome.source / outcome.original_name}",
            f"  what was wrong: {outcome.reason}",
            f"  moved to: {moved} (reason in {moved.name}.reason.txt)",
            f"  what to do: fix the file and drop it into {project.inbox_dir / outcome.source}"
            " again, then run dataops ingest",
        ):
            stderr.print(line, markup=False, highlight=False, soft_wrap=True)
    if rejected:
        raise DataOpsError(
            f"{len(rejected)} of {len(summary.files)} inbox files rejected",
            "fix the files listed above and drop them into the inbox again",
        )
    return summary


def _print_build(project: Project, target: str | None, outcome: build_module.DbtOutcome) -> None:
    name, output = project.output(target)
    where = project.warehouse_path(name) if output["type"] == "duckdb" else f"Spark, target {name}"
    relations = [rel for names in build_module.SOURCE_RELATIONS.values() for rel in names]
    counts = build_module.relation_rows(project, name, relations)
    table = Table(
        title=f"rows per zone ({where}); reconciles: staging = trusted + quarantine",
        title_justify="left",
    )
    table.add_column("source")
    for zone in build_module.ZONE_COLUMNS:
        table.add_column(zone, justify="right")
    table.add_column("reconciles")
    for rows in build_module.source_rows(project.warehouse_path(name), counts):
        table.add_row(
            rows.source,
            *(f"{getattr(rows, zone):,}" for zone in build_module.ZONE_COLUMNS),
            "yes" if rows.reconciles else "NO",
        )
    stdout.print(table)
    marts = build_module.relation_rows(project, name, build_module.MART_RELATIONS)
    for relation, count in marts.items():
        click.echo(f"{relation:<32} {count:>9,} rows")
    click.echo(f"tests: {outcome.tests_line}")


@cli.command()
@click.option("--target", help="dbt target to build (default: profiles.yml, dev).")
@click.option("--select", "-s", "select", multiple=True, help="dbt selection (repeatable).")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option(
    "--ingestion-log-of",
    help="Spark targets: build from the files another target ingested (its log).",
)
def build(
    target: str | None, select: tuple[str, ...], full_refresh: bool, ingestion_log_of: str | None
) -> None:
    """dbt build for a target, then the rows per zone and the test counts."""
    project = Project.discover()
    outcome = build_module.build(project, target, select, full_refresh, ingestion_log_of)
    _print_build(project, target, outcome)


def _docs(project: Project, target: str | None) -> Path:
    outcome = build_module.run_dbt(project, ["docs", "generate"], target)
    if not outcome.success:
        raise DataOpsError("dbt docs generate failed", "read the dbt output above")
    return project.root / "target" / "index.html"


@cli.command()
@click.option("--target", help="dbt target to document (default: profiles.yml, dev).")
def docs(target: str | None) -> None:
    """Generate the dbt docs site (target/index.html with its catalog)."""
    path = _docs(Project.discover(), target)
    click.echo(f"docs: {path} (serve with: dbt docs serve)")


@cli.command()
@click.option("--target", help="dbt target (default: profiles.yml, dev).")
def demo(target: str | None) -> None:
    """Feed the 2013 year, ingest it, build and test every zone, generate the docs."""
    project = Project.discover()
    started = time.monotonic()
    _feed(project, None, None)
    summary = _ingest(project, target)
    outcome = build_module.build(project, target)
    docs_path = _docs(project, target)
    click.echo("")
    landed = sum(counts.landed for counts in summary.sources.values())
    duplicates = sum(counts.duplicate for counts in summary.sources.values())
    click.echo(f"files ingested: {landed} landed, {duplicates} duplicate, 0 rejected")
    _print_build(project, target, outcome)
    click.echo(f"warehouse: {project.warehouse_path(target)}")
    click.echo(f"landing:   {project.landing_dir}")
    click.echo(f"docs:      {docs_path} (or: dbt docs serve)")
    click.echo(f"logs:      {project.root / 'logs' / 'dbt.log'}")
    click.echo(f"done in {time.monotonic() - started:.0f} s")


@cli.group(name="spark-cluster")
def spark_cluster_group() -> None:
    """A local standalone Spark cluster (master, worker, Thrift server) for spark_cluster."""


@spark_cluster_group.command(name="start")
def spark_cluster_start() -> None:
    """Start the cluster from the pyspark wheel; returns once the Thrift server listens."""
    with stderr.status("starting Spark master, worker and Thrift server"):
        cluster = spark_cluster.start(Project.discover())
    click.echo(f"master:  {cluster.master_url}")
    click.echo(f"thrift:  localhost:{cluster.thrift_port} (target spark_cluster)")
    click.echo(f"logs:    {cluster.folder}")


@spark_cluster_group.command(name="stop")
def spark_cluster_stop() -> None:
    """Stop the processes spark-cluster start recorded."""
    stopped = spark_cluster.stop(Project.discover())
    click.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turn a DataOpsError into one line on stderr."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="dataops", standalone_mode=False)
    except DataOpsError as error:
        if debug:
            raise
        stderr.print(f"[bold red]error:[/] {error.reason}", highlight=False, soft_wrap=True)
        if error.hint:
            stderr.print(f"  what to do: {error.hint}", highlight=False, soft_wrap=True)
        return 1
    except click.exceptions.Abort:
        stderr.print("aborted")
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
