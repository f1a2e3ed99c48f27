"""``dataops profile``: column profiles of every zone's relations, now (builds record them too)."""

from __future__ import annotations

import click

from dataops.cli import printing
from dataops.cli.group import cli, target_help
from dataops.core.project import Project


@cli.command()
@click.option("--target", help=target_help("dbt target to profile"))
@click.option(
    "--full", is_flag=True, help="Re-read every part of every relation, not only what changed."
)
@click.option(
    "--relation",
    "relations",
    multiple=True,
    help="Profile this relation (schema.table) whole instead of the project's (repeatable).",
)
def profile(target: str | None, full: bool, relations: tuple[str, ...]) -> None:
    """Profile every model, snapshot and seed of the zones into observability.column_profiles.

    Hygiene findings (warnings) go to observability.profile_findings; the share of each
    recent build its profiles took is printed after.
    """
    import duckdb

    from dataops.observability import profiles

    project = Project.discover()
    outcome = profiles.profile(project, target, full=full, relations=relations)
    printing.out(
        f"profiled {outcome.relations} relations, {outcome.columns} columns"
        f" ({outcome.parts} parts read{', every part' if full else ''}) in"
        f" {outcome.seconds:.1f} s on {outcome.target}"
    )
    found = sum(outcome.findings.values())
    listed = ", ".join(f"{rule} {count}" for rule, count in outcome.findings.items())
    printing.out(f"hygiene findings (warnings): {found}" + (f" ({listed})" if listed else ""))
    con = duckdb.connect(str(project.warehouse_path(outcome.target)), read_only=True)
    try:
        costs = profiles.build_costs(con, limit=5)
    finally:
        con.close()
    for cost in costs:
        printing.out(
            f"build {cost.started_at[:19]} ({cost.command}): {cost.build_seconds:.1f} s,"
            f" profiles {cost.profile_seconds:.1f} s = {100 * cost.share:.1f}% of the build"
        )
