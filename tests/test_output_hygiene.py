"""What the commands print stays theirs: one line per message, no forged line, no terminal codes.

Names of files, reasons built from their content and exceptions' messages come from outside:
a name with a newline must not forge a log line, an escape code must not reach the terminal.
The real rows of the 2013 feed (``fed_inbox``) under hostile names, and the choke points
(``printing``, the CLI's log formatter) over any text.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataops import printing
from dataops.cli.group import log_handler
from dataops.errors import DataOpsError
from dataops.project import Project

FLIGHTS = "flights_2013-01-02.csv"
FORGED = "error: FAKE the warehouse was deleted"
EVIL = f"evil\n{FORGED}\x1b[31mred.csv"
EVIL_SHOWN = "evil\\nerror: FAKE the warehouse was deleted\\x1b[31mred.csv"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def dataops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dataops"), *args],
        env={**os.environ, "DATAOPS_INBOX_SETTLE_SECONDS": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_not_forged(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "\x1b" not in output, output
    for line in output.splitlines():
        assert not line.startswith("error: FAKE"), output


def test_a_hostile_file_name_is_printed_escaped(project_env: Project, fed_inbox: Path) -> None:
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    for source in ("flights", "weather"):
        (project_env.inbox_dir / source).mkdir(parents=True)
    # the day's flights as sent, and the same file dropped into the weather folder
    (project_env.inbox_dir / "flights" / EVIL).write_bytes(data)
    (project_env.inbox_dir / "weather" / EVIL).write_bytes(data)

    ingested = dataops("ingest")

    assert ingested.returncode == 1, ingested.stderr
    assert_not_forged(ingested)
    assert f"rejected: {project_env.inbox_dir / 'weather'}/{EVIL_SHOWN}" in ingested.stderr
    assert "flights      1 landed" in ingested.stdout

    [landed] = (project_env.landing_dir / "flights").iterdir()
    landed.chmod(0o644)
    landed.write_bytes(data.replace(b"2013,1,2,", b"2013,1,9,", 1))
    verified = dataops("verify")

    assert verified.returncode == 1, verified.stderr
    assert_not_forged(verified)
    assert str(landed) in verified.stderr


def test_a_hostile_name_in_the_log_is_one_escaped_line(
    project_env: Project, fed_inbox: Path
) -> None:
    (project_env.inbox_dir / "weather").mkdir(parents=True)
    shutil.copy(fed_inbox / "flights" / FLIGHTS, project_env.inbox_dir / "weather" / EVIL)

    debug = dataops("--debug", "ingest")

    assert debug.returncode == 1
    logged = [line for line in debug.stderr.splitlines() if line.startswith("DEBUG    rejected")]
    assert len(logged) == 1 and EVIL_SHOWN in logged[0]
    assert "\x1b" not in debug.stderr + debug.stdout


# ---------------------------------------------------------------------------
# the choke points, over any text

HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("\n\r\t\x1b\x07\x08\x00\x85\u2028\u2029\x9b[]:"),
    )
)


def _one_line(printed: str) -> bool:
    return printed.endswith("\n") and not CONTROL.search(printed[:-1])


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=HOSTILE)
def test_note_and_error_print_one_line_without_control_characters(text: str) -> None:
    for print_it in (printing.note, printing.error):
        with printing.stderr.capture() as captured:
            print_it(text)
        assert _one_line(captured.get()), repr(captured.get())
    with printing.stderr.capture() as captured:
        printing.error(text, f"do {text}")
    lines = captured.get().split("\n")
    assert len(lines) == 3 and lines[-1] == ""
    assert not any(CONTROL.search(line) for line in lines)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(reason=HOSTILE, hint=HOSTILE)
def test_a_failure_is_lines_no_detail_can_pass_for_an_error(reason: str, hint: str) -> None:
    with printing.stderr.capture() as captured:
        printing.failure(DataOpsError(f"first\n{reason}", hint))
    first, *rest = captured.get().removesuffix("\n").split("\n")
    assert first == "error: first"
    assert all(line.startswith("  ") for line in rest)
    assert not CONTROL.search(captured.get().replace("\n", ""))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=HOSTILE)
def test_a_log_record_is_one_line_without_control_characters(text: str) -> None:
    record = logging.LogRecord("dataops.ingest", logging.INFO, __file__, 1, "%s", (text,), None)
    formatted = log_handler().format(record)
    assert not CONTROL.search(formatted), repr(formatted)


def test_the_cli_logs_through_the_escaping_formatter(capsys: pytest.CaptureFixture[str]) -> None:
    handler = log_handler()
    logger = logging.getLogger("dataops.test_output_hygiene")
    logger.addHandler(handler)
    try:
        logger.warning("%s arrived again", EVIL)
    finally:
        logger.removeHandler(handler)
    [line] = capsys.readouterr().err.splitlines()
    assert line == f"WARNING  {EVIL_SHOWN} arrived again"
