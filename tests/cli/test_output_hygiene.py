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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataops.cli import printing
from dataops.cli.group import log_handler
from dataops.core.errors import DataOpsError
from dataops.core.project import Project

ROOT = Path(__file__).parents[2]
DATAOPS = str(Path(sys.executable).parent / "dataops")
FLIGHTS = "flights_2013-01-02.csv"
FORGED = "error: FAKE the warehouse was deleted"
EVIL = f"evil\n{FORGED}\x1b[31mred.csv"
EVIL_SHOWN = "evil\\nerror: FAKE the warehouse was deleted\\x1b[31mred.csv"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def dataops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DATAOPS, *args],
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
    record = logging.LogRecord("dataops.ingest.run", logging.INFO, __file__, 1, "%s", (text,), None)
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


# ---------------------------------------------------------------------------
# a failure prints the failure, once: a full disk, a warehouse another build holds

COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)


@contextmanager
def _tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small file system of its own at ``folder``, unmounted at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture(scope="module")
def one_day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of the project (dbt's target/ and logs/ in it), 2013-01-01 fed and ingested."""
    base = tmp_path_factory.mktemp("one_day")
    shutil.copytree(ROOT, base / "project", ignore=COPY_IGNORE)
    env = {
        **os.environ,
        "DATAOPS_PROJECT_DIR": str(base / "project"),
        "DATAOPS_DATA_DIR": str(base / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(base / "warehouse"),
        "DATAOPS_INBOX_SETTLE_SECONDS": "0",
    }
    env.pop("DBT_TARGET", None)
    for args in (("feed", "--start", "2013-01-01"), ("ingest",)):
        done = subprocess.run(
            [DATAOPS, *args], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    return {"base": base, "data": base / "data", "warehouse": base / "warehouse"}


def _env(one_day: dict[str, Path], warehouse: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATAOPS_PROJECT_DIR": str(one_day["base"] / "project"),
        "DATAOPS_DATA_DIR": str(one_day["data"]),
        "DATAOPS_WAREHOUSE_DIR": str(warehouse),
        "DATAOPS_INBOX_SETTLE_SECONDS": "0",
    }
    env.pop("DBT_TARGET", None)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DATAOPS, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _one_failure(result: subprocess.CompletedProcess[str], limit: int = 3) -> str:
    """The error line of a failed command that printed no traceback; the output is bounded."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output and "--- Logging error ---" not in output, output[-3000:]
    [line] = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(result.stderr.splitlines()) <= limit, result.stderr
    return line


def test_a_build_on_a_full_disk_says_so_once(one_day: dict[str, Path], tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "small", "4m") as small:
        shutil.copy(one_day["warehouse"] / "dev.duckdb", small / "dev.duckdb")
        built = _run(_env(one_day, small), "build")

    line = _one_failure(built)
    assert "No space left on device" in line and str(small) in line, line
    assert "DATAOPS_WAREHOUSE_DIR" in built.stderr


def test_a_publish_on_a_full_disk_says_so_once(one_day: dict[str, Path], tmp_path: Path) -> None:
    env = {**_env(one_day, tmp_path / "small"), "DATAOPS_DATA_DIR": str(tmp_path / "data")}
    fed = _run(env, "feed", "--start", "2013-01-01")
    assert fed.returncode == 0, fed.stderr
    with _tmpfs(tmp_path / "small", "4m") as small:
        published = _run(env, "publish")

    # what publish logs of its steps, then the error and what to do
    line = _one_failure(published, limit=5)
    assert "No space left on device" in line and str(small) in line, line
    assert "DATAOPS_WAREHOUSE_DIR" in published.stderr


def test_two_builds_of_one_warehouse_at_once_one_builds_the_other_says_who_holds_it(
    one_day: dict[str, Path], tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(one_day["warehouse"] / "dev.duckdb", warehouse / "dev.duckdb")
    env = _env(one_day, warehouse)
    builds = []
    for run in ("first", "second"):
        with (tmp_path / f"{run}.out").open("w") as out, (tmp_path / f"{run}.err").open("w") as err:
            builds.append(subprocess.Popen([DATAOPS, "build"], env=env, stdout=out, stderr=err))
    for build in builds:
        build.wait(timeout=900)
    results = [
        subprocess.CompletedProcess(
            build.args,
            build.returncode,
            (tmp_path / f"{run}.out").read_text(),
            (tmp_path / f"{run}.err").read_text(),
        )
        for run, build in zip(("first", "second"), builds, strict=True)
    ]

    assert sorted(build.returncode for build in builds) == [0, 1], [r.stderr for r in results]
    [built] = [result for result in results if result.returncode == 0]
    [refused] = [result for result in results if result.returncode == 1]
    [holder] = [build.pid for build in builds if build.returncode == 0]
    line = _one_failure(refused)
    assert line == (
        f"error: the warehouse {warehouse / 'dev.duckdb'} is being built by another dataops"
        f" build (pid {holder})"
    )
    assert refused.stdout == ""
    # the build that holds the warehouse prints what a build alone prints
    assert "tests: " in built.stdout and " 0 failed" in built.stdout
    [verified] = built.stderr.splitlines()
    assert verified.startswith("INFO     verified 5 landed files of target dev")
