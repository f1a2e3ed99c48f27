"""Scale: generated data, the performance benchmark, a local Spark cluster.

The generator and the benchmark are imported by their commands (numpy and pandas take
about a second to load, which the other commands should not pay).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dataops.cli import printing
from dataops.cli.group import cli, count_progress, stderr
from dataops.core import spark_cluster
from dataops.core.project import Project
from dataops.data.sources import load_feeds

if TYPE_CHECKING:
    from dataops.bench.pipeline import ScaleResult
    from dataops.data.feed import FeedSummary
    from dataops.data.generate import Plan

log = logging.getLogger(__name__)


def generate_inbox(project: Project, plan: Plan) -> FeedSummary:
    from dataops.data import generate as generate_module

    feeds = load_feeds(project.models_dir)
    log.info(
        "generating %s flights (%.2fx the real year): %d copies, %d per year over %d years",
        f"{plan.flights:,}",
        plan.scale,
        plan.replicas,
        plan.per_year,
        plan.years,
    )
    with count_progress() as progress:
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
    # 2013 is generate.DEFAULT_SEED (tests/data/test_generate.py checks that the two agree)
    help="Seed of the route permutations and of the sample; same seed, same bytes (default 2013).",
)
def generate(flights: int | None, scale: float | None, seed: int | None) -> None:
    """Write a deterministic scale-up of the real year into data/inbox/, as daily files."""
    from dataops.data import generate as generate_module

    plan = generate_module.plan(
        flights, scale, seed if seed is not None else generate_module.DEFAULT_SEED
    )
    generate_inbox(Project.discover(), plan)


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
    from dataops.bench import pipeline as bench_module

    project = Project.discover()
    folder = (folder or project.root / "build" / "bench").resolve()
    output = output or folder / "bench.json"
    done: list[ScaleResult] = []

    def write(result: ScaleResult) -> None:
        done.append(result)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(bench_module.to_json(done), indent=2) + "\n", encoding="utf-8")
        printing.bench_table(done)

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
