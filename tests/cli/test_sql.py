"""``dataops sql``: a query or a shell on a target's warehouse, read-only, never in a writer's way.

A ci warehouse with the real airlines extract of the 2013 feed ingested and its landing model
built; the command run as a user runs it (a subprocess), its answers compared with DuckDB's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataops.core.build import build
from dataops.core.project import Project
from dataops.delivery.sql_shell import split_statements
from dataops.ingest.run import ingest
from dataops.observability.alert_problems import rows_fact

ROOT = Path(__file__).parents[2]
DATAOPS = str(Path(sys.executable).parent / "dataops")
AIRLINES = "landing.ldg_airlines__airlines"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, fed_inbox: Path) -> Iterator[Path]:
    """The ci warehouse of a project whose inbox held the 2013 airlines extract."""
    base = tmp_path_factory.mktemp("sql")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(ROOT)
        shutil.copytree(fed_inbox / "airlines", project.inbox_dir / "airlines")
        ingest(project, "ci")
        build(project, "ci", select=["ldg_airlines__airlines"], artifacts_dir=base / "dbt")
        yield project.warehouse_path("ci")
    finally:
        monkeypatch.undo()


def dataops(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DATAOPS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def duckdb_rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_query_prints_what_duckdb_reads(warehouse: Path) -> None:
    query = f"select carrier, name from {AIRLINES} order by carrier"
    expected = duckdb_rows(warehouse, query)
    assert expected, "the airlines extract landed no row"

    as_table = dataops("sql", "--target", "ci", query)
    assert as_table.returncode == 0, as_table.stderr
    for carrier, name in expected:
        assert carrier in as_table.stdout and name in as_table.stdout

    as_csv = dataops("sql", "--target", "ci", "--csv", query)
    assert as_csv.returncode == 0, as_csv.stderr
    header, *rows = csv.reader(io.StringIO(as_csv.stdout))
    assert header == ["carrier", "name"]
    assert [tuple(row) for row in rows] == expected

    as_json = dataops("sql", "--target", "ci", "--json", query)
    assert as_json.returncode == 0, as_json.stderr
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(line["carrier"], line["name"]) for line in lines] == expected


def test_a_table_wider_than_the_screen_keeps_every_value_whole(warehouse: Path) -> None:
    query = f"select carrier, _file_sha256, _source_file from {AIRLINES} order by carrier"
    expected = duckdb_rows(warehouse, query)
    # a pipe: the table as wide as it needs
    piped = dataops("sql", "--target", "ci", query)
    assert piped.returncode == 0, piped.stderr
    assert "…" not in piped.stdout
    assert max(len(line) for line in piped.stdout.splitlines()) > 80
    # a terminal of 80 columns: a record per row, a line per column
    terminal = subprocess.run(
        [DATAOPS, "sql", "--target", "ci", query],
        env={**os.environ, "FORCE_COLOR": "1", "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert terminal.returncode == 0, terminal.stderr
    for number, (carrier, sha256, source_file) in enumerate(expected, start=1):
        assert all(value in piped.stdout for value in (carrier, sha256, source_file))
        record = terminal.stdout.split(f"-- row {number}\n", 1)[1].splitlines()[:3]
        assert [line.split() for line in record] == [
            ["carrier", carrier],
            ["_file_sha256", sha256],
            ["_source_file", source_file],
        ]


def test_a_table_shows_max_rows_and_says_there_are_more(warehouse: Path) -> None:
    [(count,)] = duckdb_rows(warehouse, f"select count(*) from {AIRLINES}")
    shown = dataops("sql", "--target", "ci", "--max-rows", "2", f"from {AIRLINES}")
    assert shown.returncode == 0, shown.stderr
    assert count > 2 and "2 rows shown, more not" in shown.stderr


def test_a_write_is_refused_and_changes_nothing(warehouse: Path) -> None:
    before = duckdb_rows(warehouse, f"select count(*) from {AIRLINES}")
    refused = dataops("sql", "--target", "ci", f"delete from {AIRLINES}")
    assert refused.returncode == 1
    assert "read-only" in refused.stderr and "dataops sql only reads" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 2, refused.stderr  # error + what to do
    assert duckdb_rows(warehouse, f"select count(*) from {AIRLINES}") == before


def test_a_missing_warehouse_says_which_command_makes_it(warehouse: Path) -> None:
    missing = dataops("sql", "--target", "prod", "select 1")
    assert missing.returncode == 1
    assert f"no warehouse for target prod at {warehouse.parent / 'prod.duckdb'}" in missing.stderr
    assert "dataops publish makes it" in missing.stderr
    unknown = dataops("sql", "--target", "nosuchtarget", "select 1")
    assert unknown.returncode == 1 and "dataops sandbox create nosuchtarget" in unknown.stderr


def test_a_warehouse_a_writer_holds_is_refused_by_name(warehouse: Path) -> None:
    writer = duckdb.connect(str(warehouse))
    try:
        locked = dataops("sql", "--target", "ci", "select 1")
    finally:
        writer.close()
    assert locked.returncode == 1
    assert str(warehouse) in locked.stderr and "run dataops sql again" in locked.stderr
    assert "Traceback" not in locked.stderr


def test_the_shell_runs_statements_and_dot_commands(warehouse: Path) -> None:
    [(count,)] = duckdb_rows(warehouse, f"select count(*) from {AIRLINES}")
    session = dataops(
        "sql",
        "--target",
        "ci",
        "--csv",
        stdin=f"select count(*) as n\n  from {AIRLINES};\n.tables\nselect nonsense;\n.quit\n"
        "select 'after quit';\n",
    )
    assert session.returncode == 0, session.stderr
    assert f"n\n{count}\n" in session.stdout
    assert "landing,ldg_airlines__airlines,table" in session.stdout
    assert "the query failed" in session.stderr  # the shell said so and went on
    assert "after quit" not in session.stdout


def test_the_shell_never_holds_the_warehouse_between_statements(warehouse: Path) -> None:
    shell = subprocess.Popen(
        [DATAOPS, "sql", "--target", "ci", "--csv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in shell.stdout], daemon=True).start()
    try:
        assert shell.stdin is not None
        shell.stdin.write("select 'answered' as state;\n")
        shell.stdin.flush()
        while lines.get(timeout=60).strip() != "answered":
            pass
        # the shell waits for its next statement: a writer (a build) opens the file
        writer = duckdb.connect(str(warehouse))
        writer.close()
        shell.stdin.write(f"select count(*) from {AIRLINES};\n")
        shell.stdin.close()
        assert shell.wait(timeout=60) == 0
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()


statement = st.text(
    alphabet=st.characters(blacklist_characters=";\n\r", blacklist_categories=("Cs",)),
    min_size=1,
).filter(lambda text: text.strip() and not text.strip().startswith("."))


@given(statements=st.lists(st.lists(statement, min_size=1, max_size=3), max_size=5))
def test_statements_split_at_their_semicolons_whatever_their_lines(
    statements: list[list[str]],
) -> None:
    lines = [line for parts in statements for line in [*parts[:-1], f"{parts[-1]};"]]
    complete, pending = split_statements([*lines, "select 'unfinished'"])
    assert complete == ["\n".join([*parts[:-1], f"{parts[-1]};"]).strip() for parts in statements]
    assert pending == ["select 'unfinished'"]


def test_the_command_an_alert_gives_for_failing_rows_runs(warehouse: Path) -> None:
    table, where = rows_fact(AIRLINES, warehouse)
    command = shlex.split(where.split(" (", 1)[1].removesuffix(")"))
    assert command[:2] == ["dataops", "sql"]
    listed = dataops(*command[1:], "--csv")
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.reader(io.StringIO(listed.stdout)))[1:]
    assert len(rows) == duckdb_rows(warehouse, f"select count(*) from {AIRLINES}")[0][0]
    assert table == "failing rows table"


def test_no_doc_nor_message_sends_a_reader_to_a_duckdb_command() -> None:
    """No `duckdb` command exists beside DuckDB 2.0: docs and messages give `dataops sql`."""
    # a shell line that runs `duckdb` itself: `duckdb -readonly ...`, `duckdb warehouse/x.duckdb`
    command = re.compile(r"(?:^|[\s`'\"(;&|])duckdb +(?:-\w|[\w./-]+\.duckdb)", re.MULTILINE)
    places = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for folder in ("scripts", "macros", "models"):
        places += sorted(
            path for path in (ROOT / folder).rglob("*") if path.suffix in {".py", ".sql", ".yml"}
        )
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in places
        for match in command.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found
    # the pattern finds what it is for
    assert command.search('run `duckdb -readonly warehouse/dev.duckdb "select 1"`')
    assert command.search("duckdb warehouse/dev.duckdb")
