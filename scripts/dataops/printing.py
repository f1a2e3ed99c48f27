"""What the commands print: data to stdout, diagnostics to stderr, always literally.

Names of files and reasons come from outside (a source's file name, a line of
its content): they are printed as they are, never read as rich markup or
emoji codes (``[red]`` or ``:fire:`` in a file name stay as typed).
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.text import Text

from dataops.errors import DataOpsError
from dataops.ingest import IngestSummary
from dataops.project import Project

stderr = Console(stderr=True, emoji=False, highlight=False, markup=False)
stdout = Console(emoji=False, highlight=False, markup=False)

DEBUG_HINT = "rerun with --debug for the traceback"


def note(line: str) -> None:
    """One diagnostic line on stderr, printed literally."""
    stderr.print(Text(line), soft_wrap=True)


def error(reason: str, hint: str = "") -> None:
    """The one-line end of a failed command: what failed, and what to do."""
    stderr.print(Text("error: ", style="bold red") + Text(reason), soft_wrap=True)
    if hint:
        note(f"  what to do: {hint}")


def ingest_summary(project: Project, summary: IngestSummary) -> None:
    """The counts per source (stdout), then every file that did not land and why (stderr)."""
    for folder in summary.created:
        note(f"created {folder}: the inbox had no folder for its source yet")
    if summary.created:
        note(
            f"nothing to ingest: drop the sources' files into {project.inbox_dir}/<source>/ "
            "(or run dataops feed), then run dataops ingest"
        )
    for source, counts in summary.sources.items():
        extra = "".join(
            f" {count:>4} {label}"
            for count, label in ((counts.waiting, "waiting"), (counts.failed, "failed"))
            if count
        )
        click.echo(
            f"{source:<9} {counts.landed:>4} landed {counts.duplicate:>4} duplicate"
            f" {counts.rejected:>4} rejected {counts.rows:>8} rows{extra}"
            f"  -> {project.landing_dir / source}"
        )
    for outcome in summary.rejected:
        moved = project.data_dir / outcome.landed_path
        note(f"rejected: {project.inbox_dir / outcome.source / outcome.original_name}")
        note(f"  what was wrong: {outcome.reason}")
        note(f"  moved to: {moved} (reason in {moved.name}.reason.txt)")
        note(
            f"  what to do: fix the file and drop it into {project.inbox_dir / outcome.source}"
            " again, then run dataops ingest"
        )
    for left in summary.waiting:
        note(f"waiting: {left.entry.shown}: {left.reason}")
    for left in summary.failed:
        note(f"failed: {left.entry.shown}: {left.reason} (left in the inbox)")
    problems = []
    if summary.rejected:
        problems.append(f"{len(summary.rejected)} rejected")
    if summary.failed:
        problems.append(f"{len(summary.failed)} failed")
    if problems:
        total = len(summary.files) + len(summary.failed) + len(summary.waiting)
        raise DataOpsError(
            f"{' and '.join(problems)} of {total} inbox entries",
            "fix the files listed above and drop them into the inbox again"
            + (
                f"; a failed file is retried by the next run ({DEBUG_HINT})"
                if summary.failed
                else ""
            ),
        )
