"""The ``dataops`` group, its options, and what the commands of every family share."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

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

from dataops.cli import printing
from dataops.core.errors import DataOpsError, printable
from dataops.delivery import publish as publish_module

stderr = printing.stderr


# Set by the group's --debug option: main() then shows tracebacks.
_options = {"debug": False}


def date_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from error


def count_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
    )


class PrintableFormatter(logging.Formatter):
    """A record's message on one line, its control characters escaped (``errors.printable``).

    Messages carry names from outside (a file's name, an exception's text): a newline
    in one cannot forge a log line, an escape code cannot drive the terminal. The
    traceback ``--debug`` adds to a record is left as Python writes it.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)


def log_handler() -> logging.Handler:
    """Rich's handler in a terminal; elsewhere (CI, cron, a pipe) one plain line per record.

    Outside a terminal rich wraps at 80 columns and pads each line with spaces: a path
    in a message would be cut in two, where the one on call copies it from the log.
    Either way a record's message is one line, escaped (``PrintableFormatter``).
    """
    if stderr.is_terminal:
        handler: logging.Handler = RichHandler(
            console=stderr, show_path=False, show_time=False, markup=False
        )
        handler.setFormatter(PrintableFormatter("%(message)s"))
        return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrintableFormatter("%(levelname)-8s %(message)s"))
    return handler


# dbt's console logger (dbt_common's get_stdout_config); its file logger is "file_log".
DBT_STDOUT_LOGGER = "stdout_log"


class NoTraceback(logging.Filter):
    """Drops the traceback dbt prints when a command of its own fails on an exception
    (``MainStackTrace``, as when its target folder is full): logs/dbt.log keeps it, and
    the command's own error says what was wrong, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Traceback (most recent call last)" not in record.getMessage()


# What dbt says when a selection selects nothing: the daily run says it in its own words.
DBT_NOTHING_TO_DO = "Nothing to do. Try checking your model configs"


class NoNothingToDo(logging.Filter):
    """Drops dbt's "Nothing to do" warning: a daily run with no new file is not a config error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return DBT_NOTHING_TO_DO not in record.getMessage()


@contextmanager
def without_nothing_to_do(active: bool = True) -> Iterator[None]:
    """While inside, dbt's console does not print its "Nothing to do" warning."""
    dbt_console = logging.getLogger(DBT_STDOUT_LOGGER)
    quiet = NoNothingToDo()
    if active:
        dbt_console.addFilter(quiet)
    try:
        yield
    finally:
        dbt_console.removeFilter(quiet)


# A line of dbt's console saying a node is done: "12 of 322 OK created sql table model ...",
# not one of the project's hooks ("1 of 1 OK hook: ...")
_DBT_NODE_DONE = re.compile(
    r"\b(\d+) of (\d+) (?:OK|PASS|WARN|FAIL|ERROR|SKIP|NO-OP)\b(?!\s+hook:)"
)
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


class DbtNodesAsProgress(logging.Filter):
    """Turns dbt's console into a count: each node done advances ``report(done, total)``;
    only dbt's errors are printed (logs/dbt.log keeps every line)."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        super().__init__()
        self.report = report
        self.done = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if match := _DBT_NODE_DONE.search(_COLOUR.sub("", record.getMessage())):
            self.done += 1
            self.report(self.done, int(match.group(2)))
        return record.levelno >= logging.ERROR


@contextmanager
def dbt_progress(description: str) -> Iterator[Progress]:
    """While inside, dbt's node lines become one progress bar (``description``, n of total)."""
    progress = count_progress()
    task = progress.add_task(description, total=None)
    dbt_console = logging.getLogger(DBT_STDOUT_LOGGER)

    def report(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    quiet = DbtNodesAsProgress(report)
    dbt_console.addFilter(quiet)
    try:
        with progress:
            yield progress
    finally:
        dbt_console.removeFilter(quiet)


def quiet_failures(debug: bool) -> None:
    """A failure prints the failure, once; ``--debug`` shows every traceback instead.

    A handler that cannot write (dbt's file log on a full disk) would print Python's
    ``--- Logging error ---`` report with a traceback for each record.
    """
    logging.raiseExceptions = debug
    dbt_console = logging.getLogger(DBT_STDOUT_LOGGER)
    for old in [f for f in dbt_console.filters if isinstance(f, NoTraceback)]:
        dbt_console.removeFilter(old)
    if not debug:
        dbt_console.addFilter(NoTraceback())


# How every --target without a default of its own says which target it means: the profile's
# target, DBT_TARGET or else dev (profiles.yml).
TARGET_DEFAULT = "default: DBT_TARGET, else dev"


def target_help(what: str) -> str:
    """The help of a ``--target`` option: ``what`` ("dbt target to build"), then the default."""
    return f"{what} ({TARGET_DEFAULT})."


# The sections of ``dataops --help``: each command with one line that fits beside its name in
# 80 columns. A command no section names (a family added later) goes under OTHER, with the
# first sentence of its docstring.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Daily pipeline",
        (
            ("demo", "The whole tour on the real 2013 year, end to end."),
            ("feed", "Replay the real 2013 files into the inbox."),
            ("ingest", "Take the inbox's files into the landing, logged."),
            ("build", "dbt build of a target; -s source_status:fresher+ daily."),
            ("verify", "Re-hash every landed file against the ingestion log."),
        ),
    ),
    (
        "Delivery",
        (
            ("publish", "Build and test a candidate, then swap it into prod."),
            ("rollback", "Swap prod and the previous prod."),
            ("sandbox", "Disposable per-analyst warehouses made from prod."),
            ("ci", "Slim CI: build what changed against prod."),
            ("check", "The project's conventions over dbt's manifest."),
            ("store", "Push or pull prod and the landing to a durable store."),
        ),
    ),
    (
        "Look at the data",
        (
            ("sql", "Query a target's warehouse, read-only (or a shell)."),
            ("report", "The observability report, one HTML file."),
            ("docs", "The docs site with column lineage, one HTML file."),
            ("alert", "Send what is new in the observability history."),
            ("metrics", "A target's figures for Prometheus (file or 127.0.0.1)."),
            ("profile", "Column profiles of every zone, and hygiene findings."),
            ("dashboard", "Serve the on-time dashboard on 127.0.0.1."),
            ("notebook", "Open a notebook on a sandbox (marimo)."),
        ),
    ),
    (
        "Models (ML)",
        (
            ("train", "Train a version; the champion if it passes the gate."),
            ("models", "The registered versions and the champion."),
            ("model", "Act on the registered model (rollback)."),
        ),
    ),
    (
        "Scale and benchmarks",
        (
            ("generate", "A deterministic scale-up of the year, as feed files."),
            ("bench", "Time the pipeline on generated years."),
            ("bench-models", "Time training and scoring on generated years."),
            ("bench-observability", "Time dbt build with and without observability."),
            ("bench-report", "Time dataops report on a long history."),
            ("spark-cluster", "A local standalone Spark cluster."),
        ),
    ),
)
OTHER = "Other commands"

EXAMPLES = """\b
Examples:
  dataops demo                             the whole tour, on dev
  dataops feed --start 2013-01-02          one more day into the inbox
  dataops ingest                           the inbox into the landing
  dataops build -s source_status:fresher+  build what the new files reach
  dataops sql "from marts.dim_airlines"    a query on dev, read-only
  dataops sql --target prod                a SQL shell on prod, read-only
  dataops report                           the observability report of dev
  dataops publish                          write-audit-publish into prod
  dataops sandbox create alice             a sandbox of prod, in milliseconds
"""


class SectionedGroup(click.Group):
    """A group whose help lists its commands in SECTIONS, the others under OTHER."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = {
            name: command
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        }
        listed: set[str] = set()
        for title, rows in SECTIONS:
            shown = [(name, summary) for name, summary in rows if name in commands]
            listed.update(name for name, _summary in shown)
            if shown:
                with formatter.section(title):
                    formatter.write_dl(shown)
        others = [
            (name, command.get_short_help_str(limit=200))
            for name, command in commands.items()
            if name not in listed
        ]
        if others:
            with formatter.section(OTHER):
                formatter.write_dl(others)


@click.group(cls=SectionedGroup, epilog=EXAMPLES)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Feed, ingest and build the NYC flights DataOps project: files from the sources,
    tested data products in a DuckDB warehouse, and the tools to look at them.

    dataops COMMAND --help says what a command does and what it takes.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _options["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(message)s",
        handlers=[log_handler()],
        force=True,
    )
    quiet_failures(debug)


def refuse_prod(target: str | None, command: str) -> None:
    """Prod is written by dataops publish only, never in place."""
    if target == publish_module.PROD:
        raise DataOpsError(
            f"dataops {command} does not write prod in place",
            "run dataops publish: it builds and tests a candidate, then swaps it into prod",
        )


# Below this many bytes to re-hash (under a second), verify needs no progress bar.
VERIFY_PROGRESS_MIN_BYTES = 512 * 1024**2


@contextmanager
def hash_progress() -> Iterator[Callable[[int, int], None]]:
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
