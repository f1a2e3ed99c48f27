"""The benchmark's production path: each step a child that fails the benchmark when it fails."""

from __future__ import annotations

import csv
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from dataops.bench import pipeline as bench
from dataops.bench import publish_path
from dataops.bench.measure import measure
from dataops.core.errors import DataOpsError
from tests.conftest import FED_END, ROOT


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATAOPS_PROJECT_DIR": str(ROOT),
        "DATAOPS_DATA_DIR": str(tmp_path / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }


def test_a_failing_step_fails_the_benchmark(tmp_path: Path) -> None:
    """The child's exit code is main()'s: a command that fails is never measured as done."""
    command = [*bench.DATAOPS, "ingest", "--target", "no_such_target"]
    with pytest.raises(DataOpsError, match=r"benchmark step ingest failed \(exit 1\)"):
        measure("ingest", command, _env(tmp_path), ROOT, tmp_path / "ingest.log")
    assert "no_such_target" in (tmp_path / "ingest.log").read_text(encoding="utf-8")


def test_a_step_that_succeeds_is_measured_with_the_growth_of_the_folder_watched(
    tmp_path: Path,
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "before").write_bytes(b"x" * 1000)
    # the child lives a little after writing, so its memory is sampled while it runs
    script = (
        "import pathlib, sys, time; pathlib.Path(sys.argv[1]).write_bytes(b'y' * 300000);"
        " time.sleep(0.5)"
    )

    done = measure(
        "write",
        [sys.executable, "-c", script, str(watched / "new")],
        dict(os.environ),
        tmp_path,
        tmp_path / "write.log",
        watched,
    )
    assert done.peak_extra_disk_bytes == 300000
    assert done.peak_bytes > 0


def test_a_hard_link_counts_once(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"z" * 4096)
    os.link(tmp_path / "a", tmp_path / "b")
    assert publish_path.folder_bytes(tmp_path) == 4096


def test_a_corrected_day_changes_one_arrival_delay_by_a_minute(
    fed_inbox: Path, tmp_path: Path
) -> None:
    original = sorted((fed_inbox / "flights").iterdir())[-1]
    corrected = tmp_path / original.name
    number = publish_path.corrected_copy(original, corrected)

    def rows(path: Path) -> list[dict[str, str]]:
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    before, after = rows(original), rows(corrected)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [number - 1]
    delay = publish_path.CORRECTED_COLUMN
    assert float(after[number - 1][delay]) == float(before[number - 1][delay]) + 1


def _day_delay(warehouse: Path) -> float:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select sum(arrival_delay_minutes) from marts.fct_flights where flight_date = ?",
            [FED_END],
        ).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.e2e
def test_the_publish_path_publishes_the_history_a_new_day_and_a_corrected_day(
    fed_inbox: Path, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    shutil.copytree(fed_inbox, generated / "inbox")
    bench._hold_back_last_day(generated / "inbox", generated / "held")
    folder = tmp_path / "publish"
    publish_path.prepare(folder, generated / "inbox", generated / "held")
    logs = tmp_path / "logs"
    logs.mkdir()

    def run(name: str, command, env: dict[str, str], disk: Path) -> tuple[float, int, int]:
        done = measure(name, command, env, ROOT, logs / f"{name}.log", disk)
        return done.seconds, done.peak_bytes, done.peak_extra_disk_bytes

    steps = publish_path.publish_path(folder, run, bench.DATAOPS, _env(tmp_path))

    assert list(steps) == list(publish_path.PUBLISH_STEPS)
    for step in steps.values():
        assert step.seconds > 0 and step.peak_bytes > 0 and step.nodes > 0
        assert step.prod_bytes_after > 0
        # each publish recorded what it cost into the prod it made, the recording's share too
        assert 0 < step.recording_seconds < step.seconds
        # and what profiling its relations cost, within its build phase
        assert 0 < step.profile_seconds < step.phases["build"]
    # a day's publish works beside prod: the extra disk it took is measured, not zero
    assert steps["publish_new_day"].peak_extra_disk_bytes > 0
    # the corrected day reached prod: one flight's arrival delay one minute more than before
    warehouse = folder / "warehouse"
    assert (
        _day_delay(warehouse / "prod.duckdb")
        == _day_delay(warehouse / "previous" / "prod.duckdb") + 1
    )
