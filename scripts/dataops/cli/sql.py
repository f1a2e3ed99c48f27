"""``dataops sql``: a query, or a small shell, on a target's warehouse, read-only.

Thin over ``dataops.delivery.sql_shell`` (which says why there is no ``duckdb`` binary or
harlequin here). Rows go to stdout as a table, CSV or JSON lines; every value printed
literally, its control characters escaped (``printing``).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import suppress
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dataops.cli import printing
from dataops.cli.group import cli, target_help
from dataops.core.errors import DataOpsError, printable
from dataops.core.project import Project
from dataops.delivery import sql_shell

TABLE = "table"
CSV = "csv"
JSON = "json"
# Where the shell keeps its history (readline), unless DATAOPS_SQL_HISTORY says elsewhere.
HISTORY_VARIABLE = "DATAOPS_SQL_HISTORY"
HISTORY_FILE = "~/.dataops_sql_history"
SHELL_HELP = (
    "statements end with ;  .tables lists the relations, .help this line, .quit leaves (Ctrl-D too)"
)


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--target",
    help=target_help("dbt target (dev, ci, prod), sandbox name or DuckDB file to read"),
)
@click.option("--csv", "-c", "as_csv", is_flag=True, help="Print CSV (every row), for scripts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per row (every row).")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Rows shown in a table; --csv and --json print them all.",
)
def sql(query: str | None, target: str | None, as_csv: bool, as_json: bool, max_rows: int) -> None:
    """Query a target's warehouse, read-only; without QUERY, an interactive shell.

    The warehouse is opened read-only for each statement and closed after it, so a
    build running beside it is never held up. Examples:

    \b
      dataops sql "select count(*) from marts.fct_flights"
      dataops sql --target prod --csv "select * from marts.dim_airlines" > airlines.csv
      dataops sql --target ci
    """
    if as_csv and as_json:
        raise DataOpsError("--csv and --json are exclusive", "choose one of them")
    form = CSV if as_csv else JSON if as_json else TABLE
    warehouse = sql_shell.locate(Project.discover(), target)
    if query is not None:
        show(sql_shell.run(warehouse, query, None if form != TABLE else max_rows), form)
        return
    shell(warehouse, form, max_rows)


def show(result: sql_shell.QueryResult, form: str) -> None:
    """A result on stdout: a rich table (``more`` noted on stderr), CSV or JSON lines."""
    if not result.columns:
        printing.note("ok (no rows returned)")
        return
    if form == CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return
    if form == JSON:
        for row in result.rows:
            printing.out(json.dumps(dict(zip(result.columns, row, strict=True)), default=str))
        return
    cells = [[_cell(value) for value in row] for row in result.rows]
    table = Table(show_lines=False)
    for column in result.columns:
        table.add_column(Text(printable(column)), no_wrap=True)
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    console = printing.stdout
    # the table's natural width, not capped at the console's
    wide = console.measure(table, options=console.options.update_width(1 << 16)).maximum
    if wide <= console.width:
        console.print(table)
    elif not console.is_terminal:
        # a pipe or a file: whole lines, as wide as the table
        Console(file=sys.stdout, width=wide, emoji=False, highlight=False, markup=False).print(
            table
        )
    else:
        _records(result.columns, cells)  # a terminal too narrow for the table
    if result.more:
        printing.note(
            f"{len(result.rows)} rows shown, more not: add a limit, raise --max-rows,"
            " or print them all with --csv"
        )


def _cell(value: object) -> str:
    return "NULL" if value is None else printable(value)


def _records(columns: list[str], cells: list[list[str]]) -> None:
    """Rows too wide for the terminal: one ``column  value`` line each, a rule between rows."""
    names = [printable(column) for column in columns]
    width = max(len(name) for name in names)
    for number, row in enumerate(cells, start=1):
        printing.out(f"-- row {number}")
        for name, cell in zip(names, row, strict=True):
            printing.out(f"{name:>{width}}  {cell}")


def shell(warehouse: sql_shell.Warehouse, form: str, max_rows: int) -> None:
    """Read statements until .quit or end of input, run each, print its rows or its error."""
    interactive = sys.stdin.isatty()
    if interactive:
        _history()
    printing.note(f"dataops sql on {warehouse.label} ({warehouse.path}), read-only: {SHELL_HELP}")
    pending: list[str] = []
    while True:
        prompt = "   ...> " if pending else f"{warehouse.label}> "
        try:
            line = input(prompt if interactive else "")
        except EOFError:
            break
        except KeyboardInterrupt:
            printing.note("(statement dropped)")
            pending = []
            continue
        statements, pending = sql_shell.split_statements([*pending, line])
        for statement in statements:
            if not _run_one(warehouse, statement, form, max_rows):
                return
    if pending:
        printing.note("the last statement had no ; and was not run")


def _run_one(warehouse: sql_shell.Warehouse, statement: str, form: str, max_rows: int) -> bool:
    """Run one statement or dot command; False when it asks to leave."""
    if statement in (".quit", ".exit", ".q"):
        return False
    try:
        if statement == ".tables":
            show(sql_shell.tables(warehouse), form)
        elif statement == ".help":
            printing.note(SHELL_HELP)
        elif statement.startswith("."):
            printing.note(f"unknown command {statement}: {SHELL_HELP}")
        else:
            show(sql_shell.run(warehouse, statement, None if form != TABLE else max_rows), form)
    except DataOpsError as error:
        printing.failure(error)  # the shell goes on: the next statement may be right
    return True


def _history() -> None:
    """Arrow keys and history across sessions (readline), kept in HISTORY_FILE."""
    try:
        import atexit
        import readline
    except ImportError:  # not on every platform: the shell works without it
        return
    path = Path(os.environ.get(HISTORY_VARIABLE) or HISTORY_FILE).expanduser()
    with suppress(OSError):  # no history yet
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with suppress(OSError):  # a history not kept is no reason to fail the session
            readline.write_history_file(path)

    atexit.register(save)
