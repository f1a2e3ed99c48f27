"""Seeing what ran: the docs with column lineage, the observability report, their benchmarks.

Each command imports its module when it runs: the lineage (sqlglot) and the report's
model pages (pandas, pyarrow) take seconds to load, which no other command should pay.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import click
from rich.table import Table

from dataops.cli.group import cli, stderr, target_help
from dataops.cli.printing import stdout
from dataops.core.project import Project


def write_docs(project: Project, target: str | None) -> Path:
    from dataops.catalog import docs as docs_module

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
@click.option("--target", help=target_help("dbt target to document"))
def docs(target: str | None) -> None:
    """The docs site as one offline file with column lineage; fails below 100% descriptions."""
    path = write_docs(Project.discover(), target)
    click.echo(f"docs: {path}")


def write_report(project: Project, target: str | None, output: Path | None) -> Path:
    name = target or project.default_target()
    path = output or project.root / "target" / f"report_{name}.html"
    from dataops.observability import report as report_module

    outcome = report_module.generate(
        project.warehouse_path(target), project.root / "target" / "manifest.json", path
    )
    click.echo(
        f"report: {outcome.invocations} runs in {outcome.seconds:.2f} s,"
        f" {outcome.size_bytes / 1e6:.1f} MB"
    )
    return outcome.path


@cli.command()
@click.option("--target", help=target_help("dbt target whose warehouse is reported"))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: target/report_<target>.html).",
)
def report(target: str | None, output: Path | None) -> None:
    """The observability report: one self-contained HTML file, from schema observability."""
    path = write_report(Project.discover(), target, output)
    click.echo(f"report: {path}")


@cli.command(name="bench-report")
@click.option("--target", help=target_help("dbt target whose recorded runs are repeated"))
@click.option("--runs", default=100, show_default=True, help="Runs in the synthesised history.")
@click.option(
    "--command",
    default="build",
    show_default=True,
    help="Recorded dbt command whose runs are repeated ('' for every run).",
)
def bench_report(target: str | None, runs: int, command: str) -> None:
    """Time dataops report on a history of RUNS runs synthesised from the recorded ones."""
    from dataops.bench import report as report_bench

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


@cli.command("bench-observability")
@click.option("--rounds", default=3, show_default=True, help="Measured builds per side.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the benchmark's data and warehouse (default: build/bench).",
)
def bench_observability(rounds: int, workdir: Path | None) -> None:
    """Time dbt build on the real year with and without observability, side by side."""
    from dataops.bench import observability as observability_bench

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
