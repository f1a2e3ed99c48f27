"""Operations: a target's current figures for Prometheus (``dataops metrics``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from dataops.cli import printing
from dataops.cli.group import cli, target_help
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.observability import metrics as metrics_module

DEFAULT_PORT = 9464


@cli.command()
@click.option("--target", help=target_help("dbt target whose warehouse is read"))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the figures to this file, atomically (node_exporter's textfile collector"
    " reads *.prom files); default: print them.",
)
@click.option("--serve", is_flag=True, help="Serve the figures on 127.0.0.1 until interrupted.")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="With --serve.")
def metrics(target: str | None, output: Path | None, serve: bool, port: int) -> None:
    """A target's figures in Prometheus' text format: runs, memory, disk, tests, the champion."""
    project = Project.discover()
    name, settings = project.output(target)
    if settings["type"] != "duckdb":
        raise DataOpsError(
            f"target {name} keeps no observability history (only DuckDB targets do)",
            "read a DuckDB target: dev, ci or prod",
        )
    warehouse = project.warehouse_path(name)
    if serve:
        server, _thread = metrics_module.serve(warehouse, name, port)
        printing.note(f"serving the figures of {name} on http://127.0.0.1:{port}/metrics")
        try:
            while True:
                time.sleep(3600)
        finally:
            server.shutdown()  # type: ignore[attr-defined]
    if output is not None:
        metrics_module.write(warehouse, name, output)
        printing.note(f"wrote {output}")
        return
    click.echo(metrics_module.text(warehouse, name), nl=False)
