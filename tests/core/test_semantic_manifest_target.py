"""``mf query`` answers from the default target (dev) whatever target ``dataops`` ran last.

``mf`` reads the checkout's ``target/semantic_manifest.json``, which names the database of
the target it was parsed for. The test builds dev on a week of the feed in a copy of the
project, parses a sandbox there (as ``dataops sandbox`` and ``dataops ci`` do), then asks
``mf`` for the flights per day and compares them with dev's fct_flights.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from dataops.core.build import build
from dataops.core.dbt import run_dbt
from dataops.core.project import SANDBOX_VARIABLE, Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.run import ingest
from tests.conftest import FED_START, ROOT

pytestmark = pytest.mark.e2e

MF = Path(sys.executable).parent / "mf"
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)
ROW = re.compile(r"^\s*(\d{4}-\d\d-\d\d)[T 0-9:.]*\s+([\d,]+)\s*$")


def _dev_days(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select cast(flight_date as varchar), count(*) from marts.fct_flights group by 1"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_mf_query_answers_from_dev_after_a_sandbox_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feeds: dict[str, Feed]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(ROOT, root, ignore=COPY_IGNORE)
    monkeypatch.chdir(root)
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(root))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(root)
    feed(feeds, project.inbox_dir, FED_START, FED_START + timedelta(days=6))
    ingest(project, "dev")
    assert build(project, "dev").success
    expected = _dev_days(project.warehouse_path("dev"))
    assert len(expected) == 7

    assert run_dbt(project, ["parse"], "sandbox", env={SANDBOX_VARIABLE: "probe"}).success

    answer = subprocess.run(
        [str(MF), "query", "--metrics", "scheduled_flights", "--group-by", "metric_time__day"],
        cwd=root, env=dict(os.environ), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stdout + answer.stderr
    days = {
        match[1]: int(match[2].replace(",", ""))
        for line in answer.stdout.splitlines()
        if (match := ROW.match(line))
    }
    assert days == expected, answer.stdout
