"""The consumers of prod: the on-time dashboard and the notebooks on a sandbox."""

from __future__ import annotations

import subprocess

import click

from dataops.cli.group import cli
from dataops.core.errors import DataOpsError
from dataops.core.project import Project


@cli.command()
@click.option("--port", default=2718, show_default=True, help="Port on 127.0.0.1.")
@click.option("--target", default="prod", show_default=True, help="Warehouse read (read-only).")
def dashboard(port: int, target: str) -> None:
    """Serve the on-time dashboard on 127.0.0.1 (the exposure on_time_performance_dashboard).

    It reads the performance marts of prod read-only, copied into memory when it
    starts and on Reload, so it never blocks a publish; prod's report is at /report.
    """
    try:
        from dataops.consumers import serve
    except ImportError as error:
        raise DataOpsError(
            f"the dashboard needs the consumers extra ({error.name} is missing)",
            'pip install -e ".[consumers]" (make dashboard installs it)',
        ) from error
    project = Project.discover()
    click.echo(f"dashboard: {serve.url(port=port)} (reads {target}; Ctrl-C stops it)")
    serve.serve(project, port=port, target=target)


@cli.command()
@click.argument("notebook")
@click.option("--sandbox", "sandbox_name", required=True, help="The sandbox to work on.")
@click.option("--headless", is_flag=True, help="Run it top to bottom, no editor (as the tests).")
@click.option("--port", default=2719, show_default=True, help="Port of the editor on 127.0.0.1.")
def notebook(notebook: str, sandbox_name: str, headless: bool, port: int) -> None:
    """Open notebooks/NOTEBOOK.py in marimo, connected to a sandbox.

    It reads prod's rows through the sandbox (prod attached read-only) and writes
    only the sandbox's file: dataops sandbox create NAME first.
    """
    from dataops.consumers import notebooks
    from dataops.core.project import check_sandbox_name

    project = Project.discover()
    check_sandbox_name(sandbox_name)
    notebooks.sandbox_file(project, sandbox_name)
    path = notebooks.notebook_path(project, notebook)
    argv = notebooks.command(path, headless, port)
    if not headless:
        click.echo(f"notebook: http://127.0.0.1:{port}/ on sandbox {sandbox_name} (Ctrl-C stops)")
    status = subprocess.call(argv, env=notebooks.environment(project, sandbox_name))
    if status != 0:
        raise DataOpsError(
            f"notebook {path.name} ended with exit code {status}", "read its output above"
        )
