"""Alerts without an orchestrator: what is new in a target's history, sent (for cron or CI)."""

from __future__ import annotations

from pathlib import Path

import click

from dataops.cli import printing
from dataops.cli.group import cli, target_help
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.observability import activity_hooks as hooks
from dataops.observability.activity import recorded
from dataops.observability.alert_messages import URLS_VARIABLE


@cli.command()
@click.option("--target", help=target_help("dbt target whose history is read"))
@click.option(
    "--dry-run", is_flag=True, help="Print the messages that would be sent; send and record none."
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The observability report the messages name (default: target/report_<target>.html).",
)
@recorded("alert", before=hooks.before_alert, after=hooks.after_alert)
def alert(target: str | None, dry_run: bool, report_path: Path | None) -> None:
    """Send what is new in a target's observability history to DATAOPS_ALERT_URLS (or the log).

    Each problem (a failed error-severity test or model, an anomaly flagged, a stale
    source, a model below its bound, a rejected file, a blocked publish) is sent
    once when it opens and once when it is resolved.
    """
    project = Project.discover()
    # the alerts read the report's model pages (pandas): loaded for this command only
    from dataops.observability import alerts as alerts_module

    outcome = alerts_module.check_history(project, target, report_path=report_path, dry_run=dry_run)
    for message in outcome.messages:
        printing.out(message.title)
        if dry_run:
            printing.block(message.body + "\n")
    where = (
        f"{outcome.channels} URL" + ("" if outcome.channels == 1 else "s")
        if outcome.channels
        else f"the log only: {URLS_VARIABLE} is not set"
    )
    if not outcome.messages:
        click.echo(f"nothing new; open problems on {outcome.target}: {outcome.open_problems}")
    elif dry_run:
        click.echo(f"dry run: {len(outcome.messages)} messages, not sent (they go to {where})")
    else:
        click.echo(
            f"sent {len(outcome.delivered)} of {len(outcome.messages)} messages to {where};"
            f" open problems on {outcome.target}: {outcome.open_problems}"
            f" (state: {outcome.state_path})"
        )
    if outcome.undelivered:
        raise DataOpsError(
            f"{len(outcome.undelivered)} alerts could not be delivered",
            f"check {URLS_VARIABLE} and that the services are reachable; the next"
            " dataops alert sends them again",
        )
