"""Ingest takes inbox files into the persistent landing zone: checked, deduplicated, logged."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import pytest

import dataops.core.files
import dataops.ingest.landing
import dataops.ingest.run
from dataops.cli import main
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.ingest.run import IngestSummary, ingest

SOURCES = ("airlines", "airports", "flights", "planes", "weather")
LOG_COLUMNS = [
    ("file_id", "VARCHAR"),
    ("source", "VARCHAR"),
    ("original_name", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("bytes", "BIGINT"),
    ("rows", "BIGINT"),
    ("received_at", "TIMESTAMP"),
    ("status", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("landed_path", "VARCHAR"),
]


def _stock(project: Project, fed_inbox: Path, *sources: str) -> None:
    """Copy the fed files of ``sources`` (default: all) into the project's inbox."""
    for source in sources or SOURCES:
        shutil.copytree(fed_inbox / source, project.inbox_dir / source, dirs_exist_ok=True)


def _tree(folder: Path) -> dict[str, bytes]:
    """The landed and rejected files; the log's Parquet copy (``_ingestion/``) follows the log."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).parts[0] != "_ingestion"
    }


def _inbox_files(project: Project) -> list[Path]:
    return [path for path in project.inbox_dir.rglob("*") if path.is_file()]


def _log(project: Project) -> list[dict]:
    with duckdb.connect(str(project.warehouse_path()), read_only=True) as con:
        cursor = con.execute(
            "select * from landing.ingested_files order by received_at, original_name"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _data_rows(path: Path) -> int:
    lines = path.read_bytes().count(b"\n")
    return lines - 1 if path.suffix == ".csv" else lines


def test_clean_ingest_lands_every_file(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox)
    before = datetime.now(UTC).replace(tzinfo=None)

    summary = ingest(project_env)

    after = datetime.now(UTC).replace(tzinfo=None)
    assert summary.target == "dev"
    assert summary.warehouse == project_env.warehouse_dir / "dev.duckdb"
    assert {source: counts.landed for source, counts in summary.sources.items()} == {
        "airlines": 1,
        "airports": 1,
        "flights": 3,
        "planes": 1,
        "weather": 3,
    }
    assert summary.sources["flights"].rows == 842 + 943 + 914
    assert summary.rejected == []
    assert _inbox_files(project_env) == []

    for outcome in summary.files:
        original = fed_inbox / outcome.source / outcome.original_name
        landed = project_env.data_dir / outcome.landed_path
        data = original.read_bytes()
        assert outcome.status == "landed"
        assert outcome.reason is None
        assert outcome.sha256 == hashlib.sha256(data).hexdigest()
        assert outcome.bytes == len(data)
        assert outcome.rows == _data_rows(original)
        assert before <= outcome.received_at <= after
        suffix = original.suffix
        assert outcome.landed_path == f"landing/{outcome.source}/{outcome.sha256}{suffix}"
        assert landed.read_bytes() == data
        assert stat.S_IMODE(landed.stat().st_mode) == 0o444

    rows = _log(project_env)
    assert len(rows) == len(summary.files) == 9
    assert {row["file_id"] for row in rows} == {outcome.file_id for outcome in summary.files}
    for row in rows:
        outcome = next(item for item in summary.files if item.file_id == row["file_id"])
        assert row == {
            "file_id": outcome.file_id,
            "source": outcome.source,
            "original_name": outcome.original_name,
            "sha256": outcome.sha256,
            "bytes": outcome.bytes,
            "rows": outcome.rows,
            "received_at": outcome.received_at,
            "status": "landed",
            "reason": None,
            "landed_path": outcome.landed_path,
        }


def test_log_table_has_the_documented_columns(project_env: Project) -> None:
    ingest(project_env)

    with duckdb.connect(str(project_env.warehouse_path()), read_only=True) as con:
        columns = con.execute("describe landing.ingested_files").fetchall()
    assert [(name, data_type) for name, data_type, *_rest in columns] == LOG_COLUMNS


def test_target_chooses_the_warehouse(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "airlines")

    summary = ingest(project_env, "ci")

    assert summary.warehouse == project_env.warehouse_dir / "ci.duckdb"
    assert summary.warehouse.is_file()
    assert not (project_env.warehouse_dir / "dev.duckdb").exists()
    with pytest.raises(DataOpsError, match="unknown target 'nope'"):
        ingest(project_env, "nope")


def test_refed_days_are_recorded_as_duplicates_only(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox)
    first = ingest(project_env)
    landing = _tree(project_env.landing_dir)

    _stock(project_env, fed_inbox)
    second = ingest(project_env)

    assert _tree(project_env.landing_dir) == landing
    assert _inbox_files(project_env) == []
    counts = {source: (item.landed, item.duplicate) for source, item in second.sources.items()}
    assert counts == {source: (0, item.landed) for source, item in first.sources.items()}
    for outcome in second.files:
        earlier = next(item for item in first.files if item.sha256 == outcome.sha256)
        assert outcome.status == "duplicate"
        assert outcome.landed_path == earlier.landed_path
        assert outcome.rows == earlier.rows
        assert outcome.reason is not None
        assert earlier.original_name in outcome.reason
        assert str(earlier.received_at) in outcome.reason
    statuses = [row["status"] for row in _log(project_env)]
    assert statuses.count("landed") == statuses.count("duplicate") == 9


def test_log_copy_for_spark_equals_the_log(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox)
    ingest(project_env)
    _stock(project_env, fed_inbox)
    ingest(project_env)

    export = project_env.log_export_path()
    assert export.parent == project_env.landing_dir / "_ingestion" / "dev"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        cursor = con.execute(
            f"select * replace (cast(received_at as timestamp) as received_at) "
            f"from '{export}' order by received_at, original_name"
        )
        names = [column[0] for column in cursor.description]
        copied = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert copied == _log(project_env)
    assert len(copied) == 18
    assert not [path for path in export.parent.iterdir() if path.name.endswith(".tmp")]


def test_empty_inbox_changes_nothing(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox)
    ingest(project_env)
    landing, log = _tree(project_env.landing_dir), _log(project_env)

    summary = ingest(project_env)

    assert summary.files == []
    assert all(counts.landed == counts.rows == 0 for counts in summary.sources.values())
    assert _tree(project_env.landing_dir) == landing
    assert _log(project_env) == log


def test_same_bytes_twice_in_one_run_land_once(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "flights")
    inbox = project_env.inbox_dir / "flights"
    shutil.copy(inbox / "flights_2013-01-02.csv", inbox / "flights_2013-01-02_resent.csv")

    summary = ingest(project_env)

    by_name = {outcome.original_name: outcome for outcome in summary.files}
    assert by_name["flights_2013-01-02.csv"].status == "landed"
    assert by_name["flights_2013-01-02_resent.csv"].status == "duplicate"
    assert "flights_2013-01-02.csv" in (by_name["flights_2013-01-02_resent.csv"].reason or "")
    assert len(list((project_env.landing_dir / "flights").iterdir())) == 3


def test_hidden_files_wait_in_the_inbox(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "airlines")
    partial = project_env.inbox_dir / "airlines" / ".airlines_2013-02-01.csv.x1y2.tmp"
    partial.write_bytes(b"carrier,na")

    summary = ingest(project_env)

    assert [outcome.original_name for outcome in summary.files] == ["airlines_2013-01-01.csv"]
    assert partial.read_bytes() == b"carrier,na"


# ---------------------------------------------------------------------------
# rejected files


def _replace_line(data: bytes, number: int, edit: Callable[[bytes], bytes]) -> bytes:
    lines = data.split(b"\n")
    lines[number - 1] = edit(lines[number - 1])
    return b"\n".join(lines)


def _csv_field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def _json_edit(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def apply(line: bytes) -> bytes:
        record = json.loads(line)
        edit(record)
        return json.dumps(record).encode()

    return apply


FLIGHTS = "flights_2013-01-02.csv"
WEATHER = "weather_2013-01-02.jsonl"

# (case, source, fed file to start from, broken file's name, how to break it, words of the reason)
REJECTS = [
    (
        "renamed column",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: data.replace(b"dep_delay", b"departure_delay", 1),
        ["line 1", "header", 'missing "dep_delay"', 'unexpected "departure_delay"'],
    ),
    (
        "cut in the middle",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: data[: len(data) // 2],
        ["truncated", "does not end with a newline"],
    ),
    (
        # DuckDB reads this one without complaint: the last field is text
        "cut in the last field",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: data[:-5],
        ["truncated", f"line {943 + 1}"],
    ),
    (
        "text in an integer column",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: _replace_line(data, 4, lambda line: _csv_field(line, 2, b"x")),
        ["line 4", 'column "day"', '"x"', "INTEGER"],
    ),
    (
        "fraction in an integer column",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: _replace_line(data, 7, lambda line: _csv_field(line, 16, b"6.5")),
        ["line 7", 'column "hour"', "integer", '"6.5"'],
    ),
    (
        "extra field",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda data: _replace_line(data, 3, lambda line: line + b",1"),
        ["line 3", "20 fields", "19 columns"],
    ),
    (
        "empty file",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.csv",
        lambda _data: b"",
        ["empty file"],
    ),
    (
        "wrong extension",
        "flights",
        FLIGHTS,
        "flights_2013-01-04.txt",
        lambda data: b"\n".join(data.split(b"\n")[:5]) + b"\n",
        ['unexpected extension ".txt"', ".csv"],
    ),
    (
        "invalid JSON line",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: _replace_line(data, 3, lambda line: line[:-1]),
        ["line 3", "not valid JSON"],
    ),
    (
        "missing key",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: _replace_line(data, 2, _json_edit(lambda record: record.pop("temp"))),
        ["line 2", 'missing keys "temp"'],
    ),
    (
        "unexpected key",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: _replace_line(
            data, 5, _json_edit(lambda record: record.update(snow_depth=1.0))
        ),
        ["line 5", 'unexpected keys "snow_depth"'],
    ),
    (
        "text in a number key",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: _replace_line(data, 6, _json_edit(lambda record: record.update(temp="warm"))),
        ["line 6", '"temp"', "not a number"],
    ),
    (
        "blank line",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: _replace_line(data, 4, lambda _line: b""),
        ["line 4 is empty"],
    ),
    (
        "cut JSON line",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda data: data[:-3],
        ["truncated", "line 72"],
    ),
    (
        "empty JSON file",
        "weather",
        WEATHER,
        "weather_2013-01-04.jsonl",
        lambda _data: b"",
        ["empty file"],
    ),
]


@pytest.mark.parametrize(
    ("source", "start_from", "name", "breaker", "words"),
    [case[1:] for case in REJECTS],
    ids=[case[0] for case in REJECTS],
)
def test_bad_file_is_moved_aside_with_its_reason(
    project_env: Project,
    fed_inbox: Path,
    source: str,
    start_from: str,
    name: str,
    breaker: Callable[[bytes], bytes],
    words: list[str],
) -> None:
    _stock(project_env, fed_inbox, source)
    broken = breaker((fed_inbox / source / start_from).read_bytes())
    (project_env.inbox_dir / source / name).write_bytes(broken)

    summary = ingest(project_env)

    assert summary.sources[source].landed == 3
    assert summary.sources[source].rejected == 1
    assert _inbox_files(project_env) == []
    [rejected] = summary.rejected
    assert rejected.original_name == name
    assert rejected.rows is None
    assert rejected.bytes == len(broken)
    assert rejected.reason is not None
    for word in words:
        assert word in rejected.reason
    assert rejected.landed_path.startswith(f"landing/_rejected/{source}/")
    assert rejected.landed_path.endswith(f"__{name}")
    moved = project_env.data_dir / rejected.landed_path
    assert moved.read_bytes() == broken
    assert rejected.reason in moved.with_name(moved.name + ".reason.txt").read_text()

    [row] = [row for row in _log(project_env) if row["status"] == "rejected"]
    assert (row["original_name"], row["reason"], row["rows"]) == (name, rejected.reason, None)
    assert row["landed_path"] == rejected.landed_path


def test_a_file_rejected_twice_keeps_both_copies(project_env: Project) -> None:
    inbox = project_env.inbox_dir / "airlines"
    inbox.mkdir(parents=True)
    for _attempt in range(2):
        (inbox / "airlines_2013-01-01.csv").write_bytes(b"carrier\nAA\n")
        ingest(project_env)

    moved = sorted((project_env.rejected_dir / "airlines").iterdir())
    assert len(moved) == 4
    assert [row["status"] for row in _log(project_env)] == ["rejected", "rejected"]


def test_cli_names_rejected_files_and_fails(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox, "flights")
    bad = project_env.inbox_dir / "flights" / "flights_2013-01-04.csv"
    bad.write_bytes((fed_inbox / "flights" / FLIGHTS).read_bytes()[:5000])

    assert main(["ingest"]) == 1

    captured = capsys.readouterr()
    assert "flights" in captured.out
    assert "3 landed" in captured.out
    assert f"rejected: {bad}" in captured.err
    assert "truncated" in captured.err
    assert str(project_env.rejected_dir / "flights") in captured.err
    assert "drop it into" in captured.err
    assert "1 rejected of 4 inbox entries" in captured.err


def test_cli_ingest_succeeds(
    project_env: Project, fed_inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stock(project_env, fed_inbox)

    assert main(["ingest", "--target", "ci"]) == 0

    out = capsys.readouterr().out
    assert len(out.splitlines()) == len(SOURCES)
    assert "planes       1 landed    0 duplicate    0 rejected     3322 rows" in out
    assert (project_env.warehouse_dir / "ci.duckdb").is_file()


def test_progress_is_reported_per_file(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "weather")
    calls: list[tuple[int, int]] = []

    ingest(project_env, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


# ---------------------------------------------------------------------------
# crash safety and the single writer


def _only_landed(summary: IngestSummary) -> bool:
    return all(outcome.status == "landed" for outcome in summary.files)


def test_copy_failing_halfway_leaves_nothing_landed(
    project_env: Project, fed_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stock(project_env, fed_inbox, "flights")

    def half_then_fail(source: BinaryIO, target: BinaryIO, _length: int = 0) -> None:
        target.write(source.read(1000))
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(dataops.core.files.shutil, "copyfileobj", half_then_fail)
        with pytest.raises(DataOpsError, match="No space left on device") as raised:
            ingest(project_env)
    assert "flights_2013-01-01.csv" in raised.value.reason
    assert str(project_env.landing_dir / "flights") in raised.value.reason

    assert not list((project_env.landing_dir / "flights").iterdir())
    assert _log(project_env) == []
    assert len(_inbox_files(project_env)) == 3

    summary = ingest(project_env)

    assert summary.sources["flights"].landed == 3
    assert _only_landed(summary)
    assert _inbox_files(project_env) == []


def test_temporary_file_of_a_killed_copy_is_removed(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "flights")
    folder = project_env.landing_dir / "flights"
    folder.mkdir(parents=True)
    data = (fed_inbox / "flights" / FLIGHTS).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    leftover = folder / f".{sha}.csv.k1ll3d.tmp"
    leftover.write_bytes(data[:1000])

    summary = ingest(project_env)

    assert _only_landed(summary)
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{outcome.sha256}.csv" for outcome in summary.files
    )
    assert (folder / f"{sha}.csv").read_bytes() == data


def test_crash_after_rename_before_logging_is_finished_next_run(
    project_env: Project, fed_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stock(project_env, fed_inbox, "flights")
    first = project_env.inbox_dir / "flights" / "flights_2013-01-01.csv"
    sha = hashlib.sha256(first.read_bytes()).hexdigest()
    real_copy = dataops.ingest.landing.copy_atomic

    def copy_then_crash(source: Path, target: Path) -> None:
        real_copy(source, target)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(dataops.ingest.landing, "copy_atomic", copy_then_crash)
        with pytest.raises(KeyboardInterrupt):
            ingest(project_env)

    landed = project_env.landing_dir / "flights" / f"{sha}.csv"
    assert landed.read_bytes() == first.read_bytes()
    assert _log(project_env) == []
    assert first.exists()

    summary = ingest(project_env)

    assert summary.sources["flights"].landed == 3
    assert _only_landed(summary)
    assert [row["sha256"] for row in _log(project_env)].count(sha) == 1
    assert stat.S_IMODE(landed.stat().st_mode) == 0o444
    assert _inbox_files(project_env) == []


def test_locked_warehouse_is_reported(project_env: Project, fed_inbox: Path) -> None:
    _stock(project_env, fed_inbox, "airlines")
    warehouse = project_env.warehouse_path()
    warehouse.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DataOpsError, match="is locked") as raised:
            ingest(project_env)
    finally:
        holder.communicate(timeout=30)
    assert f"{warehouse} is locked by another process (PID {holder.pid})" in raised.value.reason
    assert "wait for the dbt or dataops command writing it to finish" in raised.value.hint
    assert raised.value.hint.endswith("then run ingest again")
    assert len(_inbox_files(project_env)) == 1
