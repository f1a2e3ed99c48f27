"""dataops verify, and the builds and publishes that verify the landed files they read.

Real days of 2013 are fed and ingested; then a landed file is changed (one
byte of a departure delay, the CSV still valid), deleted, or a stray file is
put beside the landed ones, as root or a careless user could.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.cli import main
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed, load_feeds
from dataops.delivery.publish import Places, publish
from dataops.ingest.run import ingest
from tests.core.test_pipeline import flights_between

ROOT = Path(__file__).parents[2]
DAY_1, DAY_2, DAY_3, DAY_4 = (date(2013, 1, day) for day in range(1, 5))
# fed_inbox: 2013-01-01..03, 3 flights and 3 weather files, one extract of each register
LANDED_FILES = 9


@pytest.fixture
def landed(project_env: Project, fed_inbox: Path) -> Project:
    """2013-01-01..03 fed and ingested into the ci target."""
    shutil.copytree(fed_inbox, project_env.inbox_dir)
    summary = ingest(project_env, "ci")
    assert not summary.rejected
    return project_env


def landed_path(project: Project, original_name: str, target: str = "ci") -> Path:
    """Where the log says the file received as ``original_name`` landed."""
    con = duckdb.connect(str(project.warehouse_path(target)), read_only=True)
    try:
        (path,) = con.execute(
            "select landed_path from landing.ingested_files"
            " where original_name = ? and status = 'landed'",
            [original_name],
        ).fetchall()[0]
    finally:
        con.close()
    return project.data_dir / path


def change_a_delay(path: Path) -> bytes:
    """Change one digit of the first flight's departure delay; return the original bytes."""
    original = path.read_bytes()
    header, first, rest = original.split(b"\n", 2)
    fields = first.split(b",")
    index = header.split(b",").index(b"dep_delay")
    digit = next(i for i, char in enumerate(fields[index]) if chr(char).isdigit())
    value = bytearray(fields[index])
    value[digit] = ord("7") if value[digit] != ord("7") else ord("8")
    fields[index] = bytes(value)
    path.chmod(0o644)
    path.write_bytes(b"\n".join([header, b",".join(fields), rest]))
    assert len(path.read_bytes()) == len(original) and path.read_bytes() != original
    return original


def restore(path: Path, original: bytes) -> None:
    path.chmod(0o644)
    path.write_bytes(original)
    path.chmod(0o444)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dataops(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the CLI in this process: exit code and everything it printed."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def problem_lines(output: str) -> list[str]:
    return [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(("changed: ", "missing: ", "unlogged: "))
    ]


def test_clean_landing_verifies(landed: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # Beside the landed files: a rejected file, the log's Parquet copy, and the
    # hidden temporary file of an interrupted copy. None of them is a landed file.
    (landed.inbox_dir / "flights" / "flights_2013-01-04.csv").write_bytes(b"")
    assert len(ingest(landed, "ci").rejected) == 1
    assert any((landed.rejected_dir / "flights").iterdir())
    assert landed.log_export_path("ci").is_file()
    leftover = landed.landing_dir / "flights" / f".{'0' * 64}.csv.k1ll3d.tmp"
    leftover.write_bytes(b"year,month\n2013,1")

    code, output = dataops(capsys, "verify", "--target", "ci")

    assert code == 0, output
    landed_bytes = sum(
        path.stat().st_size
        for source in ("flights", "weather", "planes", "airports", "airlines")
        for path in (landed.landing_dir / source).glob("[0-9a-f]*")
    )
    assert f"verified {LANDED_FILES} landed files of target ci" in output
    assert f"{landed_bytes:,} bytes in" in output
    assert "0 changed, 0 missing, 0 unlogged" in output
    assert problem_lines(output) == []
    # what the benchmark reads back from the summary line
    from dataops.ingest.verify import hashing_in

    hashed, seconds = hashing_in(output)
    assert hashed == landed_bytes and seconds >= 0


def damage_changed(project: Project) -> tuple[Path, str]:
    path = landed_path(project, "flights_2013-01-02.csv")
    logged = sha256(path)
    change_a_delay(path)
    return path, f"its SHA-256 is now {sha256(path)}, the log has {logged}"


def damage_missing(project: Project) -> tuple[Path, str]:
    path = landed_path(project, "weather_2013-01-03.jsonl")
    path.unlink()
    return path, "weather file received as weather_2013-01-03.jsonl"


def damage_unlogged(project: Project) -> tuple[Path, str]:
    # A real day of flights copied straight into the landing, past ingest.
    scratch = project.data_dir / "scratch"
    feed_files = feed_day(project, scratch, DAY_4)
    path = project.landing_dir / "flights" / "flights_2013-01-04.csv"
    shutil.copy(feed_files / "flights" / "flights_2013-01-04.csv", path)
    return path, "no landed row of the ingestion log of any target names it"


def feed_day(project: Project, inbox: Path, day: date) -> Path:
    feed(load_feeds(project.models_dir), inbox, day, day)
    return inbox


@pytest.mark.parametrize(
    ("kind", "damage", "hint"),
    [
        ("changed", damage_changed, "drop the original file (from its source or a backup)"),
        ("missing", damage_missing, "drop the original file (from its source or a backup)"),
        ("unlogged", damage_unlogged, "move each unlogged file out of the landing folder"),
    ],
)
def test_damaged_landing_is_named(
    landed: Project, capsys: pytest.CaptureFixture[str], kind: str, damage, hint: str
) -> None:
    path, detail = damage(landed)

    code, output = dataops(capsys, "verify", "--target", "ci")

    assert code == 1, output
    (line,) = problem_lines(output)
    assert line.startswith(f"{kind}: {path}: ")
    assert detail in line
    assert f": 1 {kind} ({LANDED_FILES} landed files checked)" in output
    assert hint in output
    assert "never edit the ingestion log" in output or kind == "unlogged"


def test_verify_without_a_log_says_what_to_do(
    project_env: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = dataops(capsys, "verify", "--target", "ci")
    assert code == 1
    assert f"no ingestion log for target ci in {project_env.warehouse_path('ci')}" in output
    assert "run dataops ingest --target ci first" in output


@contextlib.contextmanager
def held_by_another_process(warehouse: Path) -> Iterator[int]:
    """The warehouse opened for writing by another Python process; yields its PID."""
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
        yield holder.pid
    finally:
        holder.communicate(timeout=30)


def test_verify_of_a_locked_warehouse_says_what_to_do(
    landed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = landed.warehouse_path("ci")
    with held_by_another_process(warehouse) as pid:
        code, output = dataops(capsys, "verify", "--target", "ci")
    assert code == 1
    assert f"the warehouse {warehouse} is locked by another process (PID {pid})" in output
    assert "wait for the dbt or dataops command writing it to finish" in output


def test_any_command_refused_a_locked_warehouse_says_what_to_do(
    landed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command with no lock handling of its own (the report) ends as verify does."""
    warehouse = landed.warehouse_path("ci")
    with held_by_another_process(warehouse) as pid:
        code, output = dataops(capsys, "report", "--target", "ci")
    assert code == 1
    assert f"the warehouse {warehouse} is locked by another process (PID {pid})" in output
    assert "wait for the dbt or dataops command writing it to finish, then run" in output
    assert "IOException" not in output


def loaded_rows(warehouse: Path, sha: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select count(*) from landing.ldg_flights__flights where _file_sha256 = ?", [sha]
        ).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.e2e
def test_build_refuses_a_changed_file_it_would_read(
    landed: Project,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt" / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt" / "logs"))
    warehouse = landed.warehouse_path("ci")
    day_2 = landed_path(landed, "flights_2013-01-02.csv")
    logged = sha256(day_2)
    original = change_a_delay(day_2)
    before = sha256(warehouse)

    code, output = dataops(capsys, "build", "--target", "ci", "--full-refresh")

    assert code == 1, output
    assert "dataops build --full-refresh on target ci refused, dbt not run" in output
    assert f"1 changed among the {LANDED_FILES} landed files it would read" in output
    assert [line.split(": ")[1] for line in problem_lines(output)] == [str(day_2)]
    assert sha256(warehouse) == before
    assert not (tmp_path / "dbt" / "target" / "run_results.json").exists()

    restore(day_2, original)
    code, output = dataops(capsys, "build", "--target", "ci", "--full-refresh")
    assert code == 0, output
    assert loaded_rows(warehouse, logged) == flights_between(DAY_2, DAY_2)

    # An incremental build reads the files not loaded yet: it checks those only.
    feed_day(landed, landed.inbox_dir, DAY_4)
    assert not ingest(landed, "ci").rejected
    day_1 = landed_path(landed, "flights_2013-01-01.csv")
    day_4 = landed_path(landed, "flights_2013-01-04.csv")
    change_a_delay(day_1)
    change_a_delay(day_4)
    before = sha256(warehouse)

    code, output = dataops(capsys, "build", "--target", "ci")

    assert code == 1, output
    assert "dataops build on target ci refused, dbt not run" in output
    # the new day's flights and weather files
    assert "1 changed among the 2 landed files it would read" in output
    assert [line.split(": ")[1] for line in problem_lines(output)] == [str(day_4)]
    assert sha256(warehouse) == before
    code, output = dataops(capsys, "verify", "--target", "ci")
    assert code == 1
    assert {line.split(": ")[1] for line in problem_lines(output)} == {str(day_1), str(day_4)}


def prod_flights(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.e2e
def test_publish_refuses_a_changed_file_and_publishes_once_restored(
    project_env: Project, feeds: dict[str, Feed]
) -> None:
    project = project_env
    places = Places.of(project)

    def ingest_into(target: str) -> int:
        summary = ingest(project, target)
        assert not summary.rejected
        return sum(counts.landed for counts in summary.sources.values())

    feed(feeds, project.inbox_dir, DAY_1, DAY_1)
    assert publish(project, ingest_into).published
    prod = sha256(places.prod)
    changed: dict[str, bytes] = {}

    def ingest_then_change(target: str) -> int:
        """Ingest, then a landed file changes before the build reads it."""
        landed = ingest_into(target)
        path = landed_path(project, "flights_2013-01-02.csv", target)
        changed[str(path)] = change_a_delay(path)
        return landed

    feed(feeds, project.inbox_dir, DAY_2, DAY_2)
    with pytest.raises(DataOpsError) as refused:
        publish(project, ingest_then_change)

    ((path, original),) = changed.items()
    message = str(refused.value)
    assert "dataops publish refused, prod unchanged, dbt not run" in message
    assert f"changed: {path}: " in message
    assert sha256(places.prod) == prod
    assert not (places.candidate_artifacts / "target" / "run_results.json").exists()

    # The next publish carries the candidate's log rows over, and reads the file.
    with pytest.raises(DataOpsError, match="dataops publish refused"):
        publish(project, ingest_into)
    assert sha256(places.prod) == prod

    restore(Path(path), original)
    outcome = publish(project, ingest_into)
    assert outcome.published
    assert prod_flights(places.prod) == flights_between(DAY_1, DAY_2)


SPARK_CHILD = """
import json, sys
from dataops.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "pyspark": "pyspark" in sys.modules}))
"""


def dataops_child(*args: str) -> tuple[dict, str]:
    """The CLI in a fresh process: its exit code, whether it imported pyspark, its output."""
    done = subprocess.run(
        [sys.executable, "-c", SPARK_CHILD, *args],
        env=os.environ.copy(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr


def test_spark_target_log_is_verified_without_spark(project_env: Project, fed_inbox: Path) -> None:
    shutil.copytree(fed_inbox, project_env.inbox_dir)
    assert not ingest(project_env, "spark").rejected
    assert project_env.warehouse_path("spark") == project_env.warehouse_dir / "spark.duckdb"

    result, output = dataops_child("verify", "--target", "spark")
    assert result == {"code": 0, "pyspark": False}, output
    assert f"verified {LANDED_FILES} landed files of target spark" in output

    path = landed_path(project_env, "flights_2013-01-03.csv", "spark")
    change_a_delay(path)

    result, output = dataops_child("verify", "--target", "spark")
    assert result == {"code": 1, "pyspark": False}, output
    assert f"changed: {path}: " in output
    # A Spark build would read every landed file of the log: refused before Spark starts.
    result, output = dataops_child("build", "--target", "spark")
    assert result == {"code": 1, "pyspark": False}, output
    assert "dataops build on target spark refused, dbt not run" in output
    assert f"1 changed among the {LANDED_FILES} landed files it would read" in output
