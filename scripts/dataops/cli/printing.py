"""What the commands print: data to stdout, diagnostics to stderr, always literally.

Names of files and reasons come from outside (a source's file name, a line of
its content, an exception's message): they are never read as rich markup or
emoji codes (``[red]`` or ``:fire:`` in a file name stay as typed), and every
line printed here has its control characters escaped (``errors.printable``):
a name with a newline cannot forge a line of its own, an escape code cannot
drive the terminal. ``note``, ``error`` and ``out`` print one line each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dataops.bench import pipeline as bench_module
from dataops.core import dbt, zones
from dataops.core.errors import DataOpsError, printable
from dataops.core.project import Project
from dataops.ingest.ingestion_log import DUPLICATE, LastLanded
from dataops.ingest.run import IngestSummary

stderr = Console(stderr=True, emoji=False, highlight=False, markup=False)
stdout = Console(emoji=False, highlight=False, markup=False)

DEBUG_HINT = "rerun with --debug for the traceback"


def note(line: object) -> None:
    """One diagnostic line on stderr, printed literally, its control characters escaped."""
    stderr.print(Text(printable(line)), soft_wrap=True)


def out(line: object) -> None:
    """One line of data on stdout, its control characters escaped."""
    click.echo(printable(line))


def block(text: str) -> None:
    """Lines of data on stdout (a message's body, a Markdown diff), each escaped as ``out``."""
    for line in text.split("\n"):
        out(line)


def error(reason: str, hint: str = "", details: Sequence[str] = ()) -> None:
    """The end of a failed command: what failed (one line), then what to do.

    ``details`` (the files or nodes a reason lists) are printed one line each
    between them, always indented: none can pass for a line of its own.
    """
    stderr.print(Text("error: ", style="bold red") + Text(printable(reason)), soft_wrap=True)
    for detail in details:
        note(detail if detail.startswith(" ") else f"  {detail}")
    if hint:
        note(f"  what to do: {hint}")


def failure(raised: DataOpsError) -> None:
    """A DataOpsError as ``error`` prints it: its reason's first line, the others as details."""
    first, *rest = raised.reason.split("\n")
    error(first, raised.hint, rest)


def _nothing_new(summary: IngestSummary) -> str | None:
    """Why a run that found files landed none, when they were all duplicates."""
    duplicates = [outcome for outcome in summary.files if outcome.status == DUPLICATE]
    if not duplicates or len(duplicates) != len(summary.files):
        return None
    return (
        f"nothing new: the {len(duplicates)} files are the same bytes as files target"
        f" {summary.target} landed already ({duplicates[0].original_name}:"
        f" {duplicates[0].reason}), so its warehouse has those days (dataops demo lands"
        " every day of 2013); feed a day not landed yet, or run dataops publish to put"
        " the landed files into prod"
    )


def ingest_summary(project: Project, summary: IngestSummary, publishing: bool = False) -> None:
    """The counts per source (stdout), then every file that did not land and why (stderr).

    ``publishing``: the ingest of a publish's candidate, which takes the files other targets
    landed already into prod itself (and says so), so their duplicates need no advice.
    """
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
        out(
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
    if not publishing and (nothing_new := _nothing_new(summary)):
        note(nothing_new)
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


def build_summary(project: Project, target: str | None, outcome: dbt.DbtOutcome) -> None:
    name, output = project.output(target)
    where = project.warehouse_path(name) if output["type"] == "duckdb" else f"Spark, target {name}"
    # one read of the warehouse for the zones and the marts
    counts = zones.relation_rows(project, name, [*zones.ZONE_RELATIONS, *zones.MART_RELATIONS])
    table = Table(
        title=f"rows per zone ({where}); reconciles: staging = trusted + quarantine",
        title_justify="left",
    )
    table.add_column("source")
    for zone in zones.ZONE_COLUMNS:
        table.add_column(zone, justify="right")
    table.add_column("reconciles")
    for rows in zones.source_rows(project.warehouse_path(name), counts):
        table.add_row(
            rows.source,
            *(f"{getattr(rows, zone):,}" for zone in zones.ZONE_COLUMNS),
            "yes" if rows.reconciles else "NO",
        )
    stdout.print(table)
    for relation in zones.MART_RELATIONS:
        out(f"{relation:<32} {counts[relation]:>9,} rows")
    out(f"tests: {outcome.tests_line}")


def stages(total: int) -> Callable[[str], None]:
    """A ``stage(text)`` that prints ``[n/total] text`` on stderr, n counting the calls."""
    done = 0

    def stage(text: str) -> None:
        nonlocal done
        done += 1
        note(f"[{done}/{total}] {text}")

    return stage


def next_commands(target: str, default_target: str) -> None:
    """What to try after the demo, each command with what it shows."""
    on = "" if target == default_target else f" --target {target}"
    out("next:")
    for command, what in (
        (f'dataops sql{on} "from marts.mart_performance__airlines"', "a mart, read-only"),
        (f"dataops sql{on}", "a SQL shell on the warehouse (.tables lists it)"),
        ("dataops publish", "write-audit-publish the year into prod"),
        ("dataops --help", "every command, by what it is for"),
    ):
        out(f"  {command:<58} {what}")


def nothing_new(project: Project, target: str, last: LastLanded | None) -> None:
    """A daily build that found nothing to build: since when no file arrived, and what to run."""
    since = (
        f"{last.received_at:%Y-%m-%d %H:%M:%S} UTC ({last.source}/{last.original_name})"
        if last
        else "ever (the ingestion log of this target is empty)"
    )
    out(f"nothing new to build on {target}: no file arrived since {since}")
    inbox = sorted(
        entry.name
        for folder in (project.inbox_dir.iterdir() if project.inbox_dir.is_dir() else ())
        if folder.is_dir()
        for entry in folder.iterdir()
        if not entry.name.startswith(".")
    )
    if inbox:
        note(
            f"{len(inbox)} files wait in {project.inbox_dir}: run dataops ingest"
            f"{'' if target == project.default_target() else f' --target {target}'} first"
        )
    note(
        "  what to do: bring files (dataops feed --start YYYY-MM-DD replays a day, or drop the"
        f" sources' files into {project.inbox_dir}/<source>/), run dataops ingest, then"
        " dataops build -s source_status:fresher+ again"
    )


def bench_table(results: list[bench_module.ScaleResult]) -> None:
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
        ("facts_floor", "facts floor (one DuckDB script)"),
    ):
        row(label, lambda r, name=name: f"{r.seconds(name):.1f}")
    row("full build / floor", lambda r: f"{r.floor_ratio:.2f}")
    row("full build / facts floor", lambda r: f"{r.facts_floor_ratio:.2f}")
    row("tests (dbt test)", lambda r: f"{r.seconds('tests'):.1f}")
    row("one new day (daily run)", lambda r: f"{r.seconds('new_day_build'):.1f}")
    row("  nodes built", lambda r: f"{r.new_day_nodes}")
    row("new day / full build", lambda r: f"{100 * r.new_day_share:.1f}%")
    for name, label in (
        ("publish_first", "first publish (the history)"),
        ("publish_new_day", "publish one new day"),
        ("publish_resent_day", "publish one re-sent day"),
    ):
        row(label, lambda r, name=name: f"{r.publishes[name].seconds:.1f}")
        if name != "publish_first":
            row("  / first publish", lambda r, name=name: f"{100 * r.publish_share(name):.1f}%")
        row("  nodes built", lambda r, name=name: f"{r.publishes[name].nodes}")
        row(
            "  phases",
            lambda r, name=name: (
                " ".join(
                    f"{phase} {seconds:.0f}" for phase, seconds in r.publishes[name].phases.items()
                )
                or "not recorded"
            ),
        )
        row(
            "  peak extra disk / prod",
            lambda r, name=name: f"{100 * r.publishes[name].extra_disk_share:.0f}%",
        )
        row(
            "  recording resources / wall",
            lambda r, name=name: f"{100 * r.publishes[name].recording_share:.2f}%",
        )
        row(
            "  profiles / build",
            lambda r, name=name: f"{100 * r.publishes[name].profile_share:.1f}%",
        )
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
