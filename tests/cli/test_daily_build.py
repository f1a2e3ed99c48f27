"""The daily build with nothing new says since when and what to run; the documented
``dbt ls --selector daily`` lists what the next daily build would build.

Real 2013 feed files: 1 January ingested into ci and its freshness kept as a successful daily
build keeps it (``warehouse/ci.freshness/sources.json``, from the same ``dbt source
freshness`` run), then 2 January arrives.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.core.build import FRESHER, FRESHNESS, state_dir
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.ingest.ingestion_log import LOG_TABLE
from dataops.ingest.run import ingest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
GOVERNANCE = ROOT / "docs" / "governance.md"
DBT_NOTHING_TO_DO = "Nothing to do. Try checking your model configs"


def documented_listing() -> list[list[str]]:
    """The commands docs/governance.md gives to list what the daily build would build."""
    text = GOVERNANCE.read_text()
    blocks = [
        block
        for block in re.findall(r"\n\n((?:    dbt [^\n]+\n)+)", text)
        if "dbt ls --selector daily " in block
    ]
    assert len(blocks) == 1, "docs/governance.md no longer shows how to list the daily selection"
    commands = [shlex.split(line) for line in blocks[0].splitlines()]
    assert commands[-1][:4] == ["dbt", "ls", "--selector", "daily"]
    return commands


def dataops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dataops"), *args], capture_output=True, text=True, timeout=600, check=False
    )


def run_documented(project: Project, tmp_path: Path) -> str:
    """The documented commands, for ci: their own target folder, dev's state folder ci's."""
    documented_state = "warehouse/dev.freshness"
    listed = ""
    for command in documented_listing():
        command = [
            str(state_dir(project.warehouse_dir, "ci")) if word == documented_state else word
            for word in command
        ]
        result = subprocess.run(
            [str(BIN / command[0]), *command[1:]],
            cwd=ROOT,
            env={
                **os.environ,
                "DBT_TARGET": "ci",
                "DBT_TARGET_PATH": str(tmp_path / "documented" / "target"),
                "DBT_LOG_PATH": str(tmp_path / "documented" / "logs"),
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        listed = result.stdout
    return listed


def test_nothing_new_says_since_when_and_the_documented_listing_works(
    project_env: Project, feeds: dict[str, Feed], tmp_path: Path
) -> None:
    first, second = date(2013, 1, 1), date(2013, 1, 2)
    feed(feeds, project_env.inbox_dir, first, first)
    ingest(project_env, "ci")
    run_dbt(project_env, FRESHNESS, "ci", tmp_path / "dbt")
    kept = state_dir(project_env.warehouse_dir, "ci")
    kept.mkdir(parents=True)
    shutil.copy2(tmp_path / "dbt" / "target" / "sources.json", kept / "sources.json")

    again = dataops("build", "--target", "ci", "-s", FRESHER)

    assert again.returncode == 0, again.stderr
    output = again.stdout + again.stderr
    assert DBT_NOTHING_TO_DO not in output
    assert "tests: 0 passed" not in output
    con = duckdb.connect(str(project_env.warehouse_path("ci")), read_only=True)
    try:
        [(newest,)] = con.execute(f"select max(received_at) from {LOG_TABLE}").fetchall()
    finally:
        con.close()
    assert f"nothing new to build on ci: no file arrived since {newest:%Y-%m-%d %H:%M:%S}" in (
        again.stdout
    )
    assert "dataops feed" in again.stderr and str(project_env.inbox_dir) in again.stderr

    nothing = run_documented(project_env, tmp_path)
    assert "ldg_flights__flights" not in nothing

    feed(feeds, project_env.inbox_dir, second, second)
    ingest(project_env, "ci")
    listed = run_documented(project_env, tmp_path)
    # the new day of flights and weather, and what reads them; not the reference extracts
    # that did not arrive again
    for node in ("ldg_flights__flights", "ldg_weather__observations", "fct_flights"):
        assert node in listed, listed
    assert "ldg_planes__planes" not in listed, listed
