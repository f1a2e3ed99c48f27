"""The ``dataops`` command line: thin commands over the modules of this package."""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from dataops import bench as bench_module
from dataops import build as build_module
from dataops import ci as ci_module
from dataops import conventions, observability_bench, printing, report_bench, spark_cluster
from dataops import docs as docs_module
from dataops import feed as feed_module
from dataops import generate as generate_module
from dataops import ingest as ingest_module
from dataops import publish as publish_module
from dataops import report as report_module
from dataops import sandbox as sandbox_module
from dataops import store as store_module
from dataops import verify as verify_module
from dataops.errors import DataOpsError
from dataops.project import Project
from dataops.sources import load_feeds

log = logging.getLogger("dataops")
stderr = printing.stderr
stdout = printing.stdout
# Set by the group's --debug option: main() then shows tracebacks.
_options = {"debug": False}

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
    _options["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_path=False, show_time=False, markup=False)],
        force=True,
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


def _generate(project: Project, plan: generate_module.Plan) -> feed_module.FeedSummary:
    feeds = load_feeds(project.models_dir)
    log.info(
        "generating %s flights (%.2fx the real year): %d copies, %d per year over %d years",
        f"{plan.flights:,}",
        plan.scale,
        plan.replicas,
        plan.per_year,
        plan.years,
    )
    with _progress() as progress:
        task = progress.add_task("generate (years)", total=plan.years)
        summary = generate_module.generate(
            feeds,
            project.inbox_dir,
            plan,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    for source in sorted(summary.files):
        click.echo(
            f"{source:<9} {summary.files[source]:>5} files {summary.rows[source]:>11,} rows"
            f"  -> {project.inbox_dir / source}"
        )
    return summary


@cli.command()
@click.option("--flights", type=int, help="Number of flights to generate (e.g. 3367760).")
@click.option("--scale", type=float, help="Size as a multiple of the real year (e.g. 10).")
@click.option(
    "--seed",
    type=int,
    default=generate_module.DEFAULT_SEED,
    show_default=True,
    help="Seed of the route permutations and of the sample; same seed, same bytes.",
)
def generate(flights: int | None, scale: float | None, seed: int) -> None:
    """Write a deterministic scale-up of the real year into data/inbox/, as daily files."""
    _generate(Project.discover(), generate_module.plan(flights, scale, seed))


@cli.command()
@click.option("--target", help="dbt target whose warehouse keeps the log (default: profiles.yml).")
@click.option(
    "--settle-seconds",
    type=float,
    help="A file must stay unchanged this long before it is taken "
    "(default: DATAOPS_INBOX_SETTLE_SECONDS, else 2).",
)
def ingest(target: str | None, settle_seconds: float | None) -> None:
    """Take the inbox's files into data/landing/, checked, deduplicated and logged."""
    _refuse_prod(target, "ingest")
    _ingest(Project.discover(), target, settle_seconds)


def _refuse_prod(target: str | None, command: str) -> None:
    """Prod is written by dataops publish only, never in place."""
    if target == publish_module.PROD:
        raise DataOpsError(
            f"dataops {command} does not write prod in place",
            "run dataops publish: it builds and tests a candidate, then swaps it into prod",
        )


def _ingest(
    project: Project, target: str | None, settle_seconds: float | None = None
) -> ingest_module.IngestSummary:
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
        summary = ingest_module.ingest(
            project, target, progress=report, settle_seconds=settle_seconds
        )
    finally:
        progress.stop()
    printing.ingest_summary(project, summary)
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


# Below this many bytes to re-hash (under a second), verify needs no progress bar.
VERIFY_PROGRESS_MIN_BYTES = 512 * 1024**2


@contextmanager
def _hash_progress() -> Iterator[Callable[[int, int], None]]:
    """A ``progress(bytes_done, bytes_total)`` for re-hashing: a bar once the work is long."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=stderr,
    )
    task = None
    shown = False

    def stop() -> None:
        nonlocal shown
        if shown:
            progress.stop()
            shown = False

    def report(done: int, total: int) -> None:
        nonlocal task, shown
        if task is None:
            if total < VERIFY_PROGRESS_MIN_BYTES:
                return
            progress.start()
            shown = True
            task = progress.add_task("verify", total=total)
        progress.update(task, completed=done)
        if done >= total:
            stop()

    try:
        yield report
    finally:
        stop()


@cli.command()
@click.option("--target", help="dbt target whose ingestion log is checked (default: profiles.yml).")
def verify(target: str | None) -> None:
    """Re-hash every landed file against the ingestion log: changed, missing, unlogged files."""
    project = Project.discover()
    with _hash_progress() as progress:
        result = verify_module.verify(project, target, progress)
    click.echo(result.summary)
    verify_module.require_intact(result)


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
    """dbt build for a target (the landed files it reads verified first), then rows and tests."""
    _refuse_prod(target, "build")
    project = Project.discover()
    with _hash_progress() as progress:
        outcome = build_module.build(
            project, target, select, full_refresh, ingestion_log_of, progress=progress
        )
    _print_build(project, target, outcome)


def _docs(project: Project, target: str | None) -> Path:
    outcome = docs_module.generate(project, target)
    click.echo(
        f"column lineage: {outcome.traced_columns} columns traced to their upstream columns"
        + (f"; not traced: {', '.join(sorted(outcome.unparsed))}" if outcome.unparsed else "")
    )
    result = outcome.coverage
    click.echo(f"descriptions: {result.described}/{result.total} ({result.percent:.1f}%)")
    docs_module.require_full_coverage(result)
    return outcome.path


@cli.command()
@click.option("--target", help="dbt target to document (default: profiles.yml, dev).")
def docs(target: str | None) -> None:
    """The docs site as one offline file with column lineage; fails below 100% descriptions."""
    path = _docs(Project.discover(), target)
    click.echo(f"docs: {path}")


def _report(project: Project, target: str | None, output: Path | None) -> Path:
    name = target or project.default_target()
    path = output or project.root / "target" / f"report_{name}.html"
    outcome = report_module.generate(
        project.warehouse_path(target), project.root / "target" / "manifest.json", path
    )
    click.echo(
        f"report: {outcome.invocations} runs in {outcome.seconds:.2f} s,"
        f" {outcome.size_bytes / 1e6:.1f} MB"
    )
    return outcome.path


@cli.command()
@click.option("--target", help="dbt target whose warehouse is reported (default: dev).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: target/report_<target>.html).",
)
def report(target: str | None, output: Path | None) -> None:
    """The observability report: one self-contained HTML file, from schema observability."""
    path = _report(Project.discover(), target, output)
    click.echo(f"report: {path}")


@cli.command(name="bench-report")
@click.option("--target", help="dbt target whose recorded runs are repeated (default: dev).")
@click.option("--runs", default=100, show_default=True, help="Runs in the synthesised history.")
@click.option(
    "--command",
    default="build",
    show_default=True,
    help="Recorded dbt command whose runs are repeated ('' for every run).",
)
def bench_report(target: str | None, runs: int, command: str) -> None:
    """Time dataops report on a history of RUNS runs synthesised from the recorded ones."""
    project = Project.discover()
    result = report_bench.run(
        project.warehouse_path(target),
        project.root / "target" / "manifest.json",
        project.root / "build" / "bench",
        runs,
        command,
    )
    click.echo(
        f"history: {result.runs} runs SYNTHESISED by repeating the {result.recorded_runs}"
        f" recorded {command or 'dbt'} runs of the warehouse with new ids and shifted timestamps"
    )
    for table, count in result.rows.items():
        click.echo(f"  observability.{table:<17} {count:>9,} rows")
    click.echo(
        f"report time: {result.seconds:.2f} s for {result.runs} runs"
        f" ({result.size_bytes / 1e6:.1f} MB) -> {result.output}"
    )


@cli.command()
@click.option("--target", help="dbt target (default: profiles.yml, dev).")
def demo(target: str | None) -> None:
    """Feed the 2013 year, ingest it, build and test every zone; docs and report."""
    _refuse_prod(target, "demo")
    project = Project.discover()
    started = time.monotonic()
    _feed(project, None, None)
    summary = _ingest(project, target)
    outcome = build_module.build(project, target)
    docs_path = _docs(project, target)
    report_path = _report(project, target, None)
    click.echo("")
    landed = sum(counts.landed for counts in summary.sources.values())
    duplicates = sum(counts.duplicate for counts in summary.sources.values())
    click.echo(f"files ingested: {landed} landed, {duplicates} duplicate, 0 rejected")
    _print_build(project, target, outcome)
    click.echo(f"warehouse: {project.warehouse_path(target)}")
    click.echo(f"landing:   {project.landing_dir}")
    click.echo(f"docs:      {docs_path}")
    click.echo(f"report:    {report_path}")
    click.echo(f"logs:      {project.root / 'logs' / 'dbt.log'}")
    click.echo(f"done in {time.monotonic() - started:.0f} s")


@cli.command()
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Check this manifest.json instead of parsing the project (dbt parse).",
)
def check(manifest: Path | None) -> None:
    """Convention checks over dbt's manifest: zones, names, keys, freshness, contracts, docs."""
    started = time.monotonic()
    if manifest is None:
        violations = conventions.check_project(Project.discover())
    else:
        violations = conventions.check_manifest(conventions.load_manifest(manifest))
    for violation in violations:
        click.echo(str(violation))
    if violations:
        rules = sorted({violation.rule for violation in violations})
        raise DataOpsError(
            f"{len(violations)} convention violations ({', '.join(rules)})",
            "fix each node listed above; the rules are described in README, Conventions",
        )
    click.echo(
        f"conventions: {len(conventions.RULES)} rules, no violation"
        f" ({time.monotonic() - started:.1f} s)"
    )


@cli.command()
def publish() -> None:
    """Ingest into a candidate of prod, build and test it, swap it into prod if it passed."""
    project = Project.discover()
    places = publish_module.Places.of(project)

    def ingest_into(target: str) -> int:
        summary = _ingest(project, target)
        return sum(counts.landed for counts in summary.sources.values())

    outcome = publish_module.publish(project, ingest_into)
    if not outcome.published:
        build = outcome.build
        click.echo(f"tests: {build.tests_line}")
        for node in build.failed_nodes:
            rows = "" if node.failing_rows is None else f" ({node.failing_rows:,} failing rows)"
            click.echo(f"{node.status.upper()} {node.unique_id}{rows}: {node.message}")
        raise DataOpsError(
            f"publish blocked: {len(build.failed_nodes)} nodes failed; prod unchanged"
            f" ({places.prod}); candidate kept for inspection: {places.candidate}",
            "fix the failures listed above, then run dataops publish again (the files"
            " ingested into the candidate are carried over)",
        )
    _print_build(project, publish_module.PROD, outcome.build)
    kept = f" (previous: {places.previous})" if places.previous.exists() else ""
    click.echo(f"published: {places.prod}{kept}")
    click.echo(f"artifacts: {places.prod_artifacts}")


@cli.command()
def rollback() -> None:
    """Swap prod and the previous prod (run it again to roll forward)."""
    project = Project.discover()
    places = publish_module.Places.of(project)
    record = publish_module.rollback(project)
    click.echo(
        f"rolled back: {places.prod} is the version published at"
        f" {record.get('published_at', 'an unknown time')}"
    )
    click.echo(f"the replaced version is kept at {places.previous} (dataops rollback restores it)")


@cli.group()
def sandbox() -> None:
    """Disposable per-analyst warehouses built from prod (dbt target `sandbox`)."""


@sandbox.command("create")
@click.argument("name")
@click.option(
    "--copy",
    "copy",
    is_flag=True,
    help="Copy prod's file instead of views over prod attached read-only.",
)
def sandbox_create(name: str, copy: bool) -> None:
    """Create the sandbox NAME from prod, in seconds."""
    project = Project.discover()
    started = time.perf_counter()
    mode = sandbox_module.COPY if copy else sandbox_module.ZERO_COPY
    path = sandbox_module.create(project, name, mode)
    click.echo(f"sandbox {name} ({mode}): {path} in {time.perf_counter() - started:.2f} s")
    click.echo("build in it with:")
    click.echo(f"  DATAOPS_SANDBOX={name} dbt build -s my_model+ --target sandbox")


@sandbox.command("list")
def sandbox_list() -> None:
    """The sandboxes, with their size and last change."""
    found = sandbox_module.list_sandboxes(Project.discover())
    for info in found:
        click.echo(
            f"{info.name:<24} {info.bytes / 1e6:>9.1f} MB  {info.modified:%Y-%m-%d %H:%M} UTC"
            f"  {info.path}"
        )
    if not found:
        click.echo("no sandbox (dataops sandbox create NAME makes one)")


@sandbox.command("drop")
@click.argument("name")
def sandbox_drop(name: str) -> None:
    """Delete the sandbox NAME (prod is never touched)."""
    path = sandbox_module.drop(Project.discover(), name)
    click.echo(f"dropped sandbox {name} ({path})")


@sandbox.command("measure")
@click.option("--select", "-s", "select", multiple=True, default=("mart_performance__days+",))
def sandbox_measure(select: tuple[str, ...]) -> None:
    """Time a zero-copy sandbox against a copy of prod: creation, then a build of SELECT."""
    results = sandbox_module.measure(Project.discover(), select)
    prod = publish_module.Places.of(Project.discover()).prod
    click.echo(f"prod: {prod} ({prod.stat().st_size / 1e6:.1f} MB); build: {' '.join(select)}")
    header = f"{'mode':<10} {'create s':>9} {'build s':>8} {'dbt run s':>10} {'file MB':>8}"
    click.echo(header)
    for row in results:
        click.echo(
            f"{row.mode:<10} {row.create_seconds:>9.3f} {row.build_seconds:>8.1f}"
            f" {row.run_seconds:>10.1f} {row.file_bytes / 1e6:>8.1f}"
        )
    zero, copied = results
    click.echo(
        f"create, copy / zero-copy: {copied.create_seconds / max(zero.create_seconds, 1e-9):.2f};"
        f" sandbox file, copy / zero-copy: {copied.file_bytes / max(zero.file_bytes, 1):.0f}"
    )


@cli.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("build/data-diff.md"),
    show_default=True,
    help="Where to write the Markdown diff (for a pull-request comment).",
)
def ci(output: Path) -> None:
    """Slim CI: build state:modified+ against prod's state, diff the changed marts."""
    project = Project.discover()
    outcome = ci_module.run_ci(project)
    path = output if output.is_absolute() else project.root / output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(outcome.markdown, encoding="utf-8")
    click.echo(outcome.markdown)
    click.echo(f"diff: {path}")
    if not outcome.build.success:
        raise DataOpsError(
            f"{len(outcome.build.failed_nodes)} nodes failed in the change's build",
            f"fix them; the failures are listed in {path}",
        )


@cli.command("bench-observability")
@click.option("--rounds", default=3, show_default=True, help="Measured builds per side.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the benchmark's data and warehouse (default: build/bench).",
)
def bench_observability(rounds: int, workdir: Path | None) -> None:
    """Time dbt build on the real year with and without observability, side by side."""
    project = Project.discover()
    folder = (workdir or project.root / "build" / "bench").resolve()
    stderr.print(f"benchmark folder: {folder} (feeds and ingests the year once)")
    result = observability_bench.bench(
        project, folder, rounds, progress=lambda line: stderr.print(line, highlight=False)
    )
    table = Table(title="dbt build of the real year, wall time (s)", title_justify="left")
    table.add_column("collection")
    for number in range(rounds):
        table.add_column(f"run {number + 1}", justify="right")
    table.add_column("median", justify="right")
    for mode, seconds in result.seconds.items():
        table.add_row(mode, *(f"{s:.2f}" for s in seconds), f"{result.median(mode):.2f}")
    stdout.print(table)
    click.echo(f"overhead of collection: {result.overhead:+.1%} (median with / median without)")
    click.echo(
        f"overhead of collection: {result.paired_overhead:+.1%} (median of the rounds' ratios)"
    )
    click.echo(
        f"recording hook alone: {statistics.median(result.hook_seconds):.2f} s median,"
        f" {result.hook_share:.1%} of the median build with collection"
    )


def _print_bench(results: list[bench_module.ScaleResult]) -> None:
    table = Table(
        title="dataops bench (wall seconds; peak memory of the whole process tree)",
        title_justify="left",
    )
    table.add_column("measure")
    for result in results:
        table.add_column(f"{result.scale:g}x", justify="right")

    def row(label: str, value: Callable[[bench_module.ScaleResult], str]) -> None:
        table.add_row(label, *(value(result) for result in results))

    row("flights", lambda r: f"{r.flights:,}")
    for name, label in (
        ("generate", "generate"),
        ("ingest", "ingest"),
        ("parse", "dbt start-up (parse, partial)"),
        ("full_build", "full build (models, snapshots)"),
        ("floor", "floor (same SQL on DuckDB)"),
    ):
        row(label, lambda r, name=name: f"{r.seconds(name):.1f}")
    row("full build / floor", lambda r: f"{r.floor_ratio:.2f}")
    row("tests (dbt test)", lambda r: f"{r.seconds('tests'):.1f}")
    row("one new day (build)", lambda r: f"{r.seconds('new_day_build'):.1f}")
    row("new day / full build", lambda r: f"{100 * r.new_day_share:.1f}%")
    row("landed GB", lambda r: f"{r.landed_bytes / 1e9:.2f}")
    row("verify (every landed file)", lambda r: f"{r.seconds('verify'):.1f}")
    row("verify s per GB landed", lambda r: f"{r.verify_seconds_per_gb:.2f}")
    row("  of which re-hashing", lambda r: f"{r.hashing_seconds:.2f}")
    row("  re-hashing s per GB landed", lambda r: f"{r.hashing_seconds_per_gb:.2f}")
    row("peak memory GiB", lambda r: f"{r.peak_bytes / bench_module.GIB:.2f}")
    for label, models in (
        ("slowest model", lambda r: r.slowest_models),
        ("slowest in the new day", lambda r: r.new_day_slowest_models),
    ):
        for rank in range(3):
            row(
                f"{label} #{rank + 1}",
                lambda r, rank=rank, models=models: "{} {:.1f}s".format(*models(r)[rank]),
            )
    stdout.print(table)


@cli.command()
@click.option(
    "--scale",
    "scales",
    type=float,
    multiple=True,
    help="Size as a multiple of the real year (repeatable; default: 1, 10 and 100).",
)
@click.option("--target", default="ci", show_default=True, help="dbt target to build.")
@click.option(
    "--folder",
    type=click.Path(path_type=Path),
    help="Working folder, emptied per scale (default: build/bench).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="JSON file of the figures (default: <folder>/bench.json).",
)
def bench(scales: tuple[float, ...], target: str, folder: Path | None, output: Path | None) -> None:
    """Time generate, ingest, parse, full build vs its floor, tests and one new day."""
    project = Project.discover()
    folder = (folder or project.root / "build" / "bench").resolve()
    output = output or folder / "bench.json"
    done: list[bench_module.ScaleResult] = []

    def write(result: bench_module.ScaleResult) -> None:
        done.append(result)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(bench_module.to_json(done), indent=2) + "\n", encoding="utf-8")
        _print_bench(done)

    bench_module.bench(project, scales or (1, 10, 100), folder, target, on_result=write)
    machine = bench_module.machine()
    click.echo(
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB;"
        f" duckdb {machine['duckdb']}, dbt-core {machine['dbt-core']}"
    )
    click.echo(f"figures: {output}")


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


# Prod's durable copy (store.py): a folder or an rclone remote, DATAOPS_PROD_STORE.
_store_option = click.option(
    "--store",
    "url",
    envvar="DATAOPS_PROD_STORE",
    show_envvar=True,
    help="A folder, a file:// URL or an rclone remote (name:bucket/path).",
)


def _megabytes(sizes: dict[str, int]) -> str:
    return f"{len(sizes)} files, {sum(sizes.values()) / 1e6:.1f} MB"


@cli.group(name="store")
def store_group() -> None:
    """Prod and the landing in a durable store: push after a publish, pull on a new machine."""


@store_group.command(name="init")
@_store_option
def store_init(url: str | None) -> None:
    """Create an empty store: the first pull from it starts prod from nothing (once only)."""
    store = store_module.open_store(url)
    snapshot = store_module.init(store)
    click.echo(f"initialised {store.url}: snapshot {snapshot} (empty prod)")


@store_group.command(name="push")
@_store_option
@click.option(
    "--keep",
    default=store_module.KEEP,
    show_default=True,
    type=click.IntRange(min=2),
    help="Snapshots kept in the store: the current one and those before it.",
)
@click.option("--force", is_flag=True, help="Push even if the store moved on since the last pull.")
def store_push(url: str | None, keep: int, force: bool) -> None:
    """Save prod, its state and the landing as the store's new snapshot (new files only)."""
    store = store_module.open_store(url)
    outcome = store_module.push(Project.discover(), store, keep=keep, force=force)
    if not outcome.copied:
        click.echo(f"{store.url} holds this prod already: snapshot {outcome.snapshot}")
        return
    click.echo(f"pushed snapshot {outcome.snapshot} to {store.url}: {outcome.files} files")
    click.echo(f"uploaded: {_megabytes(outcome.copied)} (the other files were in the store)")
    if outcome.removed:
        click.echo(f"deleted older snapshots: {', '.join(outcome.removed)}")


@store_group.command(name="pull")
@_store_option
@click.option("--snapshot", help="An earlier snapshot (dataops store status lists them).")
@click.option("--force", is_flag=True, help="Replace local prod changes never pushed.")
def store_pull(url: str | None, snapshot: str | None, force: bool) -> None:
    """Make this checkout's prod and landing the store's snapshot, every file verified."""
    store = store_module.open_store(url)
    outcome = store_module.pull(Project.discover(), store, snapshot=snapshot, force=force)
    published = outcome.published_at or "never (an empty prod)"
    click.echo(f"pulled snapshot {outcome.snapshot} from {store.url}: {outcome.files} files")
    click.echo(f"published at: {published}; downloaded: {_megabytes(outcome.copied)}")
    if outcome.removed:
        click.echo(f"removed (not in the snapshot): {', '.join(outcome.removed)}")


@store_group.command(name="status")
@_store_option
def store_status(url: str | None) -> None:
    """The snapshots the store keeps, the current one first."""
    for manifest in store_module.history(store_module.open_store(url)):
        entries = manifest["files"].values()
        click.echo(
            f"{manifest['snapshot']}  created {manifest.get('created_at')}  published"
            f" {manifest.get('published_at') or '-'}  {len(entries)} files"
            f" {sum(entry.bytes for entry in entries) / 1e6:.1f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; every failure ends in one line on stderr.

    A DataOpsError (what was wrong, what to do) exits 1; any other exception
    exits 2 with its type and message. ``--debug`` shows the traceback instead.
    """
    _options["debug"] = False
    try:
        cli.main(args=argv, prog_name="dataops", standalone_mode=False)
    except DataOpsError as error:
        if _options["debug"]:
            raise
        printing.error(error.reason, error.hint)
        return 1
    except (click.exceptions.Abort, KeyboardInterrupt):
        printing.note("aborted")
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except Exception as error:
        if _options["debug"]:
            raise
        message = str(error).strip().splitlines()
        printing.error(
            f"{type(error).__name__}: {message[0] if message else 'no message'}"
            f" ({printing.DEBUG_HINT})"
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
