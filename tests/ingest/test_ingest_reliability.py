"""Ingest as real sources and careless users behave: writers still writing, odd entries, crashes.

Each test uses real rows of the 2013 feed (``fed_inbox``: 1 to 3 January).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

import dataops.ingest.inbox
import dataops.ingest.run
from dataops.cli import main
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.ingest.run import ingest

ROOT = Path(__file__).parents[2]
FLIGHTS = "flights_2013-01-02.csv"
WEATHER = "weather_2013-01-02.jsonl"
SOURCES = ("airlines", "airports", "flights", "planes", "weather")


def _stock(project: Project, fed_inbox: Path, *sources: str) -> None:
    for source in sources or SOURCES:
        shutil.copytree(fed_inbox / source, project.inbox_dir / source, dirs_exist_ok=True)


def _log(project: Project, target: str = "dev") -> list[dict]:
    with duckdb.connect(str(project.warehouse_path(target)), read_only=True) as con:
        cursor = con.execute(
            "select * from landing.ingested_files order by received_at, original_name"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _inbox_files(project: Project) -> list[Path]:
    return sorted(path for path in project.inbox_dir.rglob("*") if path.is_file())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _landed_shas(project: Project, source: str) -> set[str]:
    folder = project.landing_dir / source
    return {path.stem for path in folder.iterdir()} if folder.is_dir() else set()


# ---------------------------------------------------------------------------
# a file still being written


WRITER = textwrap.dedent(
    """
    import sys
    path, first, rest = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(first, "rb") as head, open(rest, "rb") as tail, open(path, "wb") as out:
        out.write(head.read())
        out.flush()
        print("paused", flush=True)
        sys.stdin.readline()
        out.write(tail.read())
    print("done", flush=True)
    """
)


def test_a_file_a_writer_holds_open_waits_until_it_is_complete(
    project_env: Project, fed_inbox: Path, tmp_path: Path
) -> None:
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    lines = data.splitlines(keepends=True)
    (tmp_path / "head").write_bytes(b"".join(lines[:483]))  # the header and 482 rows
    (tmp_path / "tail").write_bytes(b"".join(lines[483:]))
    target = project_env.inbox_dir / "flights" / FLIGHTS
    target.parent.mkdir(parents=True)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(tmp_path / "head"), str(tmp_path / "tail")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline().strip() == "paused"
        # the writer has paused for longer than the settle time
        os.utime(target, (time.time() - 60, time.time() - 60))

        paused = ingest(project_env)

        assert paused.files == []
        [left] = paused.waiting
        assert left.entry.name == FLIGHTS
        assert f"process {writer.pid} still has it open for writing" in left.reason
        assert target.read_bytes() == b"".join(lines[:483])
        assert _landed_shas(project_env, "flights") == set()

        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "done"
    finally:
        writer.communicate(timeout=30)

    complete = ingest(project_env)

    [outcome] = complete.files
    assert (outcome.status, outcome.rows, outcome.sha256) == ("landed", 943, _sha(data))
    assert (project_env.landing_dir / "flights" / f"{_sha(data)}.csv").read_bytes() == data
    assert _inbox_files(project_env) == []


def test_a_file_that_changes_within_the_settle_time_is_left_for_the_next_run(
    project_env: Project, fed_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    half = data.index(b"\n", len(data) // 2) + 1
    target = project_env.inbox_dir / "flights" / FLIGHTS
    target.parent.mkdir(parents=True)
    target.write_bytes(data[:half])
    waits: list[float] = []
    real_sleep, this_thread = time.sleep, threading.get_ident()

    def writer_goes_on(seconds: float) -> None:
        # time.sleep is one function for the whole process: threads an earlier
        # test left running (a server's poll loop) must keep their real sleep
        if threading.get_ident() != this_thread:
            real_sleep(seconds)
            return
        waits.append(seconds)
        with target.open("ab") as handle:
            handle.write(data[half:])

    with monkeypatch.context() as patch:
        patch.setattr(dataops.ingest.inbox.time, "sleep", writer_goes_on)
        first = ingest(project_env, settle_seconds=5)

    assert len(waits) == 1 and 0 < waits[0] <= 5
    assert first.files == []
    [left] = first.waiting
    assert "changed within the last 5 s" in left.reason
    assert _landed_shas(project_env, "flights") == set()

    second = ingest(project_env, settle_seconds=0)

    [outcome] = second.files
    assert (outcome.status, outcome.rows, outcome.sha256) == ("landed", 943, _sha(data))


def test_a_file_that_changes_while_it_is_read_is_put_back(
    project_env: Project, fed_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stock(project_env, fed_inbox, "flights")
    inbox = project_env.inbox_dir / "flights"
    extra = (fed_inbox / "flights" / "flights_2013-01-03.csv").read_bytes().splitlines(True)[1]
    real_check = dataops.ingest.run.check_file

    def check_then_append(con, path: Path, feed):  # a writer appends while ingest reads
        result = real_check(con, path, feed)
        if path.name == FLIGHTS:
            with path.open("ab") as handle:
                handle.write(extra)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(dataops.ingest.run, "check_file", check_then_append)
        summary = ingest(project_env)

    assert sorted(outcome.original_name for outcome in summary.files) == [
        "flights_2013-01-01.csv",
        "flights_2013-01-03.csv",
    ]
    [left] = summary.waiting
    assert left.reason == "it changed while ingest read it: left for the next run"
    original = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    assert (inbox / FLIGHTS).read_bytes() == original + extra
    assert _sha(original) not in _landed_shas(project_env, "flights")
    assert [path.name for path in _inbox_files(project_env)] == [FLIGHTS]
    assert FLIGHTS not in {row["original_name"] for row in _log(project_env)}

    again = ingest(project_env)

    [outcome] = again.files
    assert (outcome.original_name, outcome.sha256) == (FLIGHTS, _sha(original + extra))


def test_cli_says_what_waits_and_exits_zero(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox, "airlines")
    target = project_env.inbox_dir / "airlines" / "airlines_2013-02-01.csv"
    with target.open("wb") as handle:
        handle.write(b"carrier,name\n")
        handle.flush()

        assert main(["ingest", "--settle-seconds", "0"]) == 0

    captured = capsys.readouterr()
    assert (
        "airlines     1 landed    0 duplicate    0 rejected       16 rows    1 waiting"
        in captured.out
    )
    assert f"waiting: {target}: process {os.getpid()} still has it open for writing" in captured.err


# ---------------------------------------------------------------------------
# one bad entry never stops the others


def test_a_file_name_that_is_not_utf8_is_rejected_and_the_rest_lands(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    latin1 = os.fsencode(project_env.inbox_dir / "flights") + b"/flights_2013-01-0\xe9.csv"
    with open(latin1, "wb") as handle:
        handle.write(data.replace(b"2013,1,2,", b"2013,1,4,"))

    assert main(["ingest"]) == 1

    captured = capsys.readouterr()
    assert "flights      3 landed    0 duplicate    1 rejected" in captured.out
    for source in ("airlines", "airports", "planes", "weather"):
        assert f"{source:<9} {1 if source != 'weather' else 3:>4} landed" in captured.out
    assert "the file name is not valid UTF-8" in captured.err
    assert "flights_2013-01-0\\xe9.csv" in captured.err
    [row] = [row for row in _log(project_env) if row["status"] == "rejected"]
    assert row["original_name"] == "flights_2013-01-0\\xe9.csv"
    moved = project_env.data_dir / row["landed_path"]
    assert moved.read_bytes() == data.replace(b"2013,1,2,", b"2013,1,4,")
    assert "not valid UTF-8" in moved.with_name(moved.name + ".reason.txt").read_text()
    assert _inbox_files(project_env) == []


def test_an_unexpected_failure_on_one_file_is_its_outcome_only(
    project_env: Project,
    fed_inbox: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stock(project_env, fed_inbox, "flights", "weather")
    real_check = dataops.ingest.run.check_file

    def fails_on_one(con, path: Path, feed):
        if path.name == FLIGHTS:
            raise RuntimeError("reader crashed")
        return real_check(con, path, feed)

    monkeypatch.setattr(dataops.ingest.run, "check_file", fails_on_one)

    assert main(["ingest"]) == 1

    captured = capsys.readouterr()
    assert "flights      2 landed    0 duplicate    0 rejected     1756 rows    1 failed" in (
        captured.out
    )
    assert "weather      3 landed" in captured.out
    assert "failed: " in captured.err and "RuntimeError: reader crashed" in captured.err
    assert "1 failed of 6 inbox entries" in captured.err
    assert [path.name for path in _inbox_files(project_env)] == [FLIGHTS]


# ---------------------------------------------------------------------------
# regular files inside the inbox only


def test_links_and_pipes_are_refused_without_reading_their_target(
    project_env: Project, fed_inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox, "airlines")
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_bytes((fed_inbox / "flights" / FLIGHTS).read_bytes())
    flights = project_env.inbox_dir / "flights"
    flights.mkdir(parents=True)
    (flights / "flights_2013-01-04.csv").symlink_to("/etc/passwd")
    (flights / "flights_2013-01-05.csv").symlink_to(secret)
    (project_env.inbox_dir / "weather").mkdir()
    (project_env.inbox_dir / "weather" / "weather_2013-01-04.jsonl").symlink_to("/etc/shadow")
    os.mkfifo(flights / "flights_2013-01-06.csv")  # opening it would block

    assert main(["ingest"]) == 1

    captured = capsys.readouterr()
    rows = _log(project_env)
    refused = [row for row in rows if row["status"] == "rejected"]
    assert sorted(row["original_name"] for row in refused) == [
        "flights_2013-01-04.csv",
        "flights_2013-01-05.csv",
        "flights_2013-01-06.csv",
        "weather_2013-01-04.jsonl",
    ]
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for row in refused:
        assert (row["sha256"], row["bytes"], row["rows"]) == (None, None, None)
        kind = "named pipe" if row["original_name"].endswith("06.csv") else "symbolic link"
        assert f"is a {kind}, not a regular file" in row["reason"]
        moved = project_env.data_dir / row["landed_path"]
        assert moved.is_symlink() or kind == "named pipe"
        reason_file = moved.with_name(moved.name + ".reason.txt").read_text()
        assert passwd not in reason_file and "root:" not in row["reason"]
    assert "root:" not in captured.err + captured.out
    assert _landed_shas(project_env, "flights") == set()
    assert secret.read_bytes() == (fed_inbox / "flights" / FLIGHTS).read_bytes()
    assert [row["original_name"] for row in rows if row["status"] == "landed"] == [
        "airlines_2013-01-01.csv"
    ]


def test_a_reason_quotes_only_a_short_escaped_excerpt(
    project_env: Project, fed_inbox: Path
) -> None:
    flights = project_env.inbox_dir / "flights"
    flights.mkdir(parents=True)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    # a terminal escape sequence and 8,000 characters where a column name should be
    name = b"dep\x1b[31m_delay" + b"z" * 8000
    (flights / "flights_2013-01-04.csv").write_bytes(data.replace(b"dep_delay", name, 1))

    [outcome] = ingest(project_env).files

    assert outcome.status == "rejected"
    assert outcome.reason is not None
    assert outcome.reason.isprintable()
    assert 'unexpected "dep\\x1b[31m_delayzzz' in outcome.reason
    assert "z" * 61 not in outcome.reason
    assert len(outcome.reason) < 500


# ---------------------------------------------------------------------------
# one ingest at a time on a data folder


def test_a_second_ingest_on_the_same_data_folder_is_refused(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox)
    young = project_env.inbox_dir / "airlines" / "airlines_2013-02-01.csv"
    young.write_bytes((fed_inbox / "airlines" / "airlines_2013-01-01.csv").read_bytes())
    env = {**os.environ, "DATAOPS_INBOX_SETTLE_SECONDS": "120"}
    first = subprocess.Popen(
        [str(Path(sys.executable).parent / "dataops"), "ingest", "--target", "ci"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        lock = project_env.data_dir / ".ingest.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)

        assert main(["ingest", "--target", "dev"]) == 1

        captured = capsys.readouterr()
        [line, hint] = captured.err.strip().splitlines()
        assert line == (
            f"error: another dataops ingest is running on the data folder "
            f"{project_env.data_dir} (pid {first.pid})"
        )
        assert "wait for it to finish" in hint
        assert not project_env.warehouse_path("dev").exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)

    summary = ingest(project_env, "dev", settle_seconds=0)

    statuses = {outcome.original_name: outcome.status for outcome in summary.files}
    assert len(statuses) == 10
    assert statuses.pop(young.name) == "duplicate"
    assert set(statuses.values()) == {"landed"}
    assert _inbox_files(project_env) == []


# ---------------------------------------------------------------------------
# killed midway


KILLED_AFTER = textwrap.dedent(
    """
    import importlib, os, signal, sys
    from dataops.ingest.run import ingest
    from dataops.core.project import Project

    step, name = sys.argv[1], sys.argv[2]
    module_name, _, step = step.rpartition(".")
    module = importlib.import_module(module_name)
    real = getattr(module, step)

    def then_die(*args, **kwargs):
        result = real(*args, **kwargs)
        if name in repr(args):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, step, then_die)
    ingest(Project.discover(), settle_seconds=0)
    """
)


def _killed_after(step: str, name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER, step, name],
        env=os.environ,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def test_killed_after_logging_a_file_the_next_run_finishes_it(
    project_env: Project, fed_inbox: Path
) -> None:
    _stock(project_env, fed_inbox, "flights")
    sha = _sha((fed_inbox / "flights" / FLIGHTS).read_bytes())

    _killed_after("dataops.ingest.run.record", FLIGHTS)

    [row] = [row for row in _log(project_env) if row["original_name"] == FLIGHTS]
    assert row["status"] == "landed"
    assert FLIGHTS not in [path.name for path in (project_env.inbox_dir / "flights").iterdir()]

    summary = ingest(project_env)

    assert sorted(outcome.original_name for outcome in summary.files) == ["flights_2013-01-03.csv"]
    rows = _log(project_env)
    assert [row["status"] for row in rows] == ["landed"] * 3
    assert [row["sha256"] for row in rows].count(sha) == 1
    assert _inbox_files(project_env) == []
    assert not (project_env.inbox_dir / "flights" / ".ingesting").exists() or not list(
        (project_env.inbox_dir / "flights" / ".ingesting").iterdir()
    )


def test_killed_after_logging_a_rejected_file_the_next_run_moves_it_aside(
    project_env: Project, fed_inbox: Path
) -> None:
    broken = project_env.inbox_dir / "flights" / "flights_2013-01-04.csv"
    broken.parent.mkdir(parents=True)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()[:5000]
    broken.write_bytes(data)

    _killed_after("dataops.ingest.run.record", broken.name)

    [row] = _log(project_env)
    assert row["status"] == "rejected"
    assert not (project_env.data_dir / row["landed_path"]).exists()

    summary = ingest(project_env)

    assert summary.files == []
    assert (project_env.data_dir / row["landed_path"]).read_bytes() == data
    assert len(_log(project_env)) == 1
    assert _inbox_files(project_env) == []


def test_killed_after_the_copy_before_logging_the_file_lands_once(
    project_env: Project, fed_inbox: Path
) -> None:
    _stock(project_env, fed_inbox, "flights")

    _killed_after("dataops.ingest.landing.copy_atomic", FLIGHTS)

    assert [row["original_name"] for row in _log(project_env)] == ["flights_2013-01-01.csv"]

    summary = ingest(project_env)

    assert sorted(outcome.original_name for outcome in summary.files) == [
        FLIGHTS,
        "flights_2013-01-03.csv",
    ]
    assert [row["status"] for row in _log(project_env)] == ["landed"] * 3
    assert _inbox_files(project_env) == []


# ---------------------------------------------------------------------------
# a full disk


DISK_FULL = textwrap.dedent(
    """
    set -u
    mount -t tmpfs -o size="$SIZE" tmpfs "$MOUNT"
    cp -a "$STOCK"/. "$MOUNT"/ 2>/dev/null || true
    "$DATAOPS" ingest >"$OUT/first.out" 2>"$OUT/first.err"; echo $? >"$OUT/first.rc"
    find "$INBOX" -type f | wc -l >"$OUT/inbox-files"
    find "$MOUNT" -name '*.tmp' -o -name '*.wal' | sort >"$OUT/leftovers"
    ls -A "$MOUNT" | sort >"$OUT/after-first"
    cp -a "$MOUNT"/. "$OUT/state"/
    mount -o remount,size=64m "$MOUNT"
    "$DATAOPS" ingest >"$OUT/second.out" 2>"$OUT/second.err"; echo $? >"$OUT/second.rc"
    cp -a "$MOUNT"/. "$OUT/final"/
    """
)


def _on_a_small_disk(tmp_path: Path, mount: Path, size: str, stock: Path, env: dict) -> Path:
    """Run ingest twice in a mount namespace: on a full tmpfs at ``mount``, then on a bigger one."""
    out = tmp_path / "out"
    for folder in (out / "state", out / "final", mount, stock):
        folder.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "disk_full.sh"
    script.write_text(DISK_FULL)
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "bash", str(script)],
        env={
            **os.environ,
            **env,
            "SIZE": size,
            "MOUNT": str(mount),
            "STOCK": str(stock),
            "OUT": str(out),
            "DATAOPS": str(Path(sys.executable).parent / "dataops"),
            "DATAOPS_INBOX_SETTLE_SECONDS": "0",
            "INBOX": os.environ["DATAOPS_DATA_DIR"] + "/inbox",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_a_warehouse_the_disk_had_no_room_for_is_not_left_behind(
    project_env: Project, fed_inbox: Path, tmp_path: Path
) -> None:
    _stock(project_env, fed_inbox, "airlines", "flights")
    warehouse = project_env.warehouse_dir

    out = _on_a_small_disk(tmp_path, warehouse, "8k", tmp_path / "empty", {})

    assert (out / "first.rc").read_text().strip() == "1"
    [line, hint] = (out / "first.err").read_text().strip().splitlines()
    assert line.startswith(f"error: cannot create the warehouse {warehouse / 'dev.duckdb'}: ")
    assert "No space left on device" in line
    assert "nothing was left behind" in hint
    assert (out / "after-first").read_text().split() == []
    assert (out / "inbox-files").read_text().strip() == "4"
    assert (out / "second.rc").read_text().strip() == "0", (out / "second.err").read_text()
    assert "flights      3 landed" in (out / "second.out").read_text()
    assert _inbox_files(project_env) == []


def test_a_disk_that_fills_while_landing_stops_cleanly_and_the_next_run_goes_on(
    project_env: Project, fed_inbox: Path, tmp_path: Path
) -> None:
    stock = tmp_path / "stock"
    shutil.copytree(fed_inbox / "flights", stock / "inbox" / "flights")
    sizes = [path.stat().st_size for path in sorted((stock / "inbox" / "flights").iterdir())]

    def pages(size: int) -> int:
        return -(-size // 4096)

    # Each inbox file leaves the disk once it has landed, so room for the inbox, the lock
    # file and one page less than the second day: the first day lands, the second cannot.
    assert pages(sizes[0]) < pages(sizes[1])
    size = f"{4 * (sum(pages(size) for size in sizes) + 1 + pages(sizes[1]) - 1)}k"
    data_dir = project_env.data_dir

    out = _on_a_small_disk(tmp_path, data_dir, size, stock, {})

    assert (out / "first.rc").read_text().strip() == "1"
    [line, hint] = (out / "first.err").read_text().strip().splitlines()
    assert line.startswith(f"error: ingest stopped at {data_dir / 'inbox' / 'flights'}/")
    assert "No space left on device" in line
    assert str(data_dir / "landing" / "flights") in line
    assert "nothing was half-written" in hint
    assert (out / "leftovers").read_text() == ""
    state = out / "state"
    landed = sorted(path.name for path in (state / "landing" / "flights").iterdir())
    waiting = sorted(path.name for path in (state / "inbox" / "flights").iterdir())
    assert len(landed) == 1 and len(waiting) == 2
    with duckdb.connect(str(project_env.warehouse_path()), read_only=True) as con:
        rows = con.execute("select sha256, status from landing.ingested_files").fetchall()
        assert [(f"{sha}.csv", status) for sha, status in rows[:1]] == [(landed[0], "landed")]
        assert (out / "second.rc").read_text().strip() == "0", (out / "second.err").read_text()
        rows = con.execute(
            "select original_name, sha256, status from landing.ingested_files order by 1"
        ).fetchall()
    fed = sorted((fed_inbox / "flights").iterdir())
    assert rows == [(path.name, _sha(path.read_bytes()), "landed") for path in fed]
    final = out / "final"
    for path in fed:
        copy = final / "landing" / "flights" / f"{_sha(path.read_bytes())}.csv"
        assert copy.read_bytes() == path.read_bytes()
    assert not list((final / "inbox" / "flights").iterdir())


# ---------------------------------------------------------------------------
# messages


def test_unexpected_errors_end_in_one_line_and_debug_shows_the_traceback(
    project_env: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "models", copy / "models")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, copy / name)
    sources = copy / "models" / "landing" / "flights" / "_flights__sources.yml"
    sources.write_text(sources.read_text().replace("tables:", "tables: [", 1))
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(copy))

    assert main(["ingest"]) == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ParserError: ")
    assert line.endswith("(rerun with --debug for the traceback)")
    assert main(["--debug", "ingest"]) == 2
    traceback = capsys.readouterr().err
    assert "Traceback (most recent call last)" in traceback
    assert "while parsing" in traceback


def test_binary_bytes_and_empty_column_names_are_said_plainly(
    project_env: Project, fed_inbox: Path
) -> None:
    flights = project_env.inbox_dir / "flights"
    flights.mkdir(parents=True)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    (flights / "flights_2013-01-04.csv").write_bytes(gzip.compress(data))
    (flights / "flights_2013-01-05.csv").write_bytes(data.replace(b"dep_delay", b"", 1))
    lines = data.splitlines(keepends=True)
    lines[3] = lines[3].replace(b",N", b",N\x00", 1)
    (flights / "flights_2013-01-06.csv").write_bytes(b"".join(lines))

    by_name = {outcome.original_name: outcome.reason for outcome in ingest(project_env).files}

    assert by_name["flights_2013-01-04.csv"].startswith(
        "binary (gzip-compressed data), not a CSV text file"
    )
    assert 'missing "dep_delay"; unexpected ""' in by_name["flights_2013-01-05.csv"]
    assert by_name["flights_2013-01-06.csv"].startswith("line 4 holds a NUL byte")


def test_names_with_markup_are_printed_literally(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flights = project_env.inbox_dir / "flights"
    flights.mkdir(parents=True)
    name = "flights_[bold red]2013-01-04_:fire:.csv"
    (flights / name).write_bytes((fed_inbox / "flights" / FLIGHTS).read_bytes()[:5000])

    assert main(["ingest"]) == 1

    err = capsys.readouterr().err
    assert f"rejected: {flights / name}" in err
    assert "\N{FIRE}" not in err


def test_ingest_without_a_data_folder_says_what_it_created(
    project_env: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not project_env.data_dir.exists()

    assert main(["ingest"]) == 0

    err = capsys.readouterr().err
    for source in SOURCES:
        assert f"created {project_env.inbox_dir / source}" in err
        assert (project_env.inbox_dir / source).is_dir()
    assert "nothing to ingest: drop the sources' files into" in err

    assert main(["ingest"]) == 0
    assert "created" not in capsys.readouterr().err


def test_a_settle_time_that_is_not_a_number_is_refused(
    project_env: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAOPS_INBOX_SETTLE_SECONDS", "soon")
    with pytest.raises(DataOpsError, match="settle time"):
        ingest(project_env)


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_resent_file_restores_its_damaged_landed_copy(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    _stock(project_env, fed_inbox, "flights")
    ingest(project_env)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    landed = project_env.landing_dir / "flights" / f"{_sha(data)}.csv"
    if damage == "changed":
        landed.chmod(0o644)
        landed.write_bytes(data.replace(b"2013,1,2,", b"2013,1,9,", 1))
    else:
        landed.unlink()
    assert main(["verify"]) == 1
    capsys.readouterr()
    shutil.copy(fed_inbox / "flights" / FLIGHTS, project_env.inbox_dir / "flights" / FLIGHTS)

    [outcome] = ingest(project_env).files

    assert outcome.status == "duplicate"
    assert outcome.reason is not None
    assert f"its landed copy was {damage} and is restored from this file" in outcome.reason
    assert landed.read_bytes() == data
    assert oct(landed.stat().st_mode & 0o777) == "0o444"
    assert main(["verify"]) == 0


# ---------------------------------------------------------------------------
# a folder that cannot be written


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for everyone, root too: a read-only bind mount of itself."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_data_folder_is_said_with_what_to_do(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox, "flights")
    data_dir = project_env.data_dir

    with _read_only(data_dir):
        ingest_code = main(["ingest"])
        ingest_err = capsys.readouterr().err
        feed_code = main(["feed", "--start", "2013-01-04"])
        feed_err = capsys.readouterr().err

    assert ingest_code == 1, ingest_err
    [line, hint] = ingest_err.strip().splitlines()
    assert line == (
        f"error: cannot write the data folder {data_dir}: Read-only file system"
        f" ({data_dir / '.ingest.lock'})"
    )
    assert hint == (
        "  what to do: its file system is mounted read-only: remount it read-write,"
        " or point DATAOPS_DATA_DIR at another folder, then run ingest again"
    )
    assert len(_inbox_files(project_env)) == 3
    assert feed_code == 1, feed_err
    [line] = [line for line in feed_err.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: cannot write the inbox {project_env.inbox_dir}: ")
    assert "Read-only file system" in line and "DATAOPS_DATA_DIR" in feed_err

    assert main(["ingest"]) == 0
    assert _inbox_files(project_env) == []


def test_a_read_only_warehouse_folder_is_said_with_what_to_do(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox, "airlines")
    assert main(["ingest"]) == 0
    _stock(project_env, fed_inbox, "flights")
    capsys.readouterr()

    with _read_only(project_env.warehouse_dir):
        code = main(["ingest"])

    assert code == 1
    [line, hint] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: cannot open the warehouse {project_env.warehouse_path()}: ")
    assert "Read-only file system" in line
    assert "DATAOPS_WAREHOUSE_DIR at another folder, then run ingest again" in hint
    assert len(_inbox_files(project_env)) == 3

    with _read_only(project_env.warehouse_dir):
        code = main(["build"])

    assert code == 1
    [line, hint] = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"error: cannot write the warehouse folder {project_env.warehouse_dir}: Read-only file"
        f" system ({project_env.warehouse_dir / '.dev.duckdb.build.lock'})"
    )
    assert "DATAOPS_WAREHOUSE_DIR at another folder, then run dataops build again" in hint
