"""dataops verify when several targets share the data folder's landing (the default layout).

Every target lands its files in ``DATA_DIR/landing`` and keeps its own ingestion
log in its warehouse file: a file prod's log does not name may be dev's. Real
days of 2013 are fed: 2013-01-01 ingested into prod (as a publish leaves it: the
log in prod.duckdb; ``dataops ingest`` refuses prod), 2013-01-02 into dev.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.run import ingest
from tests.ingest.test_verify import dataops, held_by_another_process, problem_lines

DAY_1, DAY_2, DAY_4 = date(2013, 1, 1), date(2013, 1, 2), date(2013, 1, 4)


def landed_paths(project: Project, target: str) -> set[Path]:
    con = duckdb.connect(str(project.warehouse_path(target)), read_only=True)
    try:
        rows = con.execute(
            "select landed_path from landing.ingested_files where status = 'landed'"
        ).fetchall()
    finally:
        con.close()
    return {project.data_dir / path for (path,) in rows}


@pytest.fixture
def shared_landing(project_env: Project, feeds: dict[str, Feed]) -> Project:
    """Day 1 ingested into prod, day 2 into dev, in one data folder."""
    feed(feeds, project_env.inbox_dir, DAY_1, DAY_1)
    assert not ingest(project_env, "prod").rejected
    feed(feeds, project_env.inbox_dir, DAY_2, DAY_2)
    assert not ingest(project_env, "dev").rejected
    return project_env


def only_in(project: Project, target: str, other: str) -> set[Path]:
    return landed_paths(project, target) - landed_paths(project, other)


def test_each_target_verifies_beside_the_files_of_the_other(
    shared_landing: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = shared_landing
    # the registers are the same bytes both days: one landed file, in both logs
    dev_only, prod_only = only_in(project, "dev", "prod"), only_in(project, "prod", "dev")
    assert {path.parent.name for path in dev_only} == {"flights", "weather"}
    assert len(prod_only) == 2

    code, output = dataops(capsys, "verify", "--target", "prod")

    assert code == 0, output
    assert "0 changed, 0 missing, 0 unlogged" in output
    assert f"{len(dev_only)} files of other targets (dev: {len(dev_only)})" in output
    assert problem_lines(output) == []

    code, output = dataops(capsys, "verify", "--target", "dev")

    assert code == 0, output
    assert "0 changed, 0 missing, 0 unlogged" in output
    assert f"{len(prod_only)} files of other targets (prod: {len(prod_only)})" in output


def test_a_file_no_target_logs_is_unlogged_and_the_advice_spares_the_others(
    shared_landing: Project,
    feeds: dict[str, Feed],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = shared_landing
    feed(feeds, tmp_path / "scratch", DAY_4, DAY_4)
    stray = project.landing_dir / "flights" / "flights_2013-01-04.csv"
    shutil.copy(tmp_path / "scratch" / "flights" / "flights_2013-01-04.csv", stray)
    dev_only = only_in(project, "dev", "prod")

    code, output = dataops(capsys, "verify", "--target", "prod")

    assert code == 1, output
    assert problem_lines(output) == [
        f"unlogged: {stray}: no landed row of the ingestion log of any target names it"
    ]
    assert f"1 unlogged; {len(dev_only)} files of other targets (dev: {len(dev_only)})" in output
    assert "move each unlogged file out of the landing folder" in output
    for path in dev_only:
        assert str(path) not in output
    code, output = dataops(capsys, "verify", "--target", "dev")
    assert code == 1 and problem_lines(output) == [
        f"unlogged: {stray}: no landed row of the ingestion log of any target names it"
    ]


def test_the_log_of_a_target_being_written_is_read_from_its_copy_or_named_unchecked(
    shared_landing: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = shared_landing
    dev_only = only_in(project, "dev", "prod")
    warehouse = project.warehouse_path("dev")
    with held_by_another_process(warehouse):
        # dev's log is locked by its writer: its Parquet copy names dev's files
        code, output = dataops(capsys, "verify", "--target", "prod")
        assert code == 0, output
        assert f"{len(dev_only)} files of other targets (dev: {len(dev_only)})" in output
        assert (
            f"the ingestion log of dev is being written: the warehouse {warehouse}"
            " is locked by another process"
        ) in output
        assert str(project.log_export_path("dev")) in output

        # no copy either: the owner of dev's files cannot be checked, verify says so
        project.log_export_path("dev").unlink()
        code, output = dataops(capsys, "verify", "--target", "prod")
        assert code == 0, output
        assert "0 changed, 0 missing, 0 unlogged" in output
        assert f"{len(dev_only)} files whose target could not be checked" in output
        assert "run dataops verify --target prod again once" in output
        assert problem_lines(output) == []
    # the writer gone, dev's log is read again
    code, output = dataops(capsys, "verify", "--target", "prod")
    assert code == 0, output
    assert f"{len(dev_only)} files of other targets (dev: {len(dev_only)})" in output
