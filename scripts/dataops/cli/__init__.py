"""The ``dataops`` command line: thin commands over the modules of this package.

The group and what every command shares are in ``group``; the commands, one
module per family: ``pipeline`` (feed, ingest, verify, build, demo),
``observability`` (docs, report and their benchmarks), ``delivery`` (check,
publish, rollback, sandbox, ci, store), ``scale`` (generate, bench,
spark-cluster), ``models`` (train, models, model rollback), ``consumers``
(dashboard, notebook), ``sql`` (a query or a shell on a warehouse, read-only),
``operations`` (metrics) and ``profile`` (column profiles). What they
print is in ``printing`` and ``model_printing``, used by the command line alone.
May import: every capability, the benchmarks and ``dataops.core``; not
``dataops.orchestration``.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from dataops.cli import (
    alerts,
    consumers,
    delivery,
    models,
    observability,
    operations,
    pipeline,
    printing,
    profile,
    scale,
    sql,
)
from dataops.cli.group import _options, cli
from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.observability import alert_secrets
from dataops.observability.alert_messages import URLS_VARIABLE

# the families register their commands on the group when imported
FAMILIES = (
    pipeline,
    observability,
    delivery,
    scale,
    models,
    alerts,
    consumers,
    sql,
    operations,
    profile,
)
__all__ = ["FAMILIES", "cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; every failure ends in one line on stderr.

    A DataOpsError (what was wrong, what to do) exits 1, and so does DuckDB's
    refusal of a warehouse another process holds; any other exception exits 2
    with its type and message. ``--debug`` shows the traceback instead, with the
    same exit code, and the secrets of the alert URLs masked in it.
    """
    _options["debug"] = False
    try:
        cli.main(args=argv, prog_name="dataops", standalone_mode=False)
    except DataOpsError as error:
        if _options["debug"]:
            _traceback()
            return 1
        printing.failure(error)
        return 1
    except (click.exceptions.Abort, KeyboardInterrupt):
        printing.note("aborted")
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except Exception as error:
        if _options["debug"]:
            _traceback()
            return 2
        if is_duckdb_lock(error):
            # DuckDB refusing the warehouse to a second process, wherever the command opened it
            locked = warehouse_locked(error)
            printing.error(locked.reason, locked.hint)
            return 1
        message = str(error).strip().splitlines()
        printing.error(
            f"{type(error).__name__}: {message[0] if message else 'no message'}"
            f" ({printing.DEBUG_HINT})"
        )
        return 2
    return 0


def _traceback() -> None:
    """``--debug``: the traceback on stderr, the alert URLs' secrets masked, each line escaped."""
    secrets = alert_secrets.secrets_of(os.environ.get(URLS_VARIABLE, "").split(","))
    for line in alert_secrets.mask_text(traceback.format_exc(), secrets).rstrip().split("\n"):
        printing.note(line)


if __name__ == "__main__":
    sys.exit(main())
