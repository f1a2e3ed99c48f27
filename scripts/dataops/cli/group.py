"""The ``dataops`` group, its options, and what the commands of every family share."""

from __future__ import annotations

import logging
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
