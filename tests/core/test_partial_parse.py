"""dbt keeps its partial parse when the user switches between ``dataops`` and plain ``dbt``.

profiles.yml and dbt_project.yml read the data and warehouse folders from the environment
(relative to the project root when plain dbt runs there); dbt re-parses the whole project
when what they render changes ("Unable to do partial parsing because profile has changed").
The test runs, from the project root with relative folders as a user has them, dbt through
``dataops`` (run_dbt), then plain ``dbt ls`` in a process of its own, then ``dataops``
again, and reads dbt's log of each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

DBT = Path(sys.executable).parent / "dbt"
FULL_PARSE = "Unable to do partial parsing"


def _log(artifacts: Path) -> str:
    """dbt's log of the last command, then emptied for the next one."""
    path = artifacts / "logs" / "dbt.log"
    text = path.read_text(encoding="utf-8")
    path.write_text("", encoding="utf-8")
    return text


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_partial_parse_survives_dataops_then_dbt_then_dataops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    folders = {"DATAOPS_DATA_DIR": tmp_path / "data", "DATAOPS_WAREHOUSE_DIR": tmp_path / "wh"}
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    for name, folder in folders.items():
        folder.mkdir()
        monkeypatch.setenv(name, os.path.relpath(folder, ROOT) if relative else str(folder))
    project = Project.discover(ROOT)
    assert project.warehouse_dir.resolve() == folders["DATAOPS_WAREHOUSE_DIR"].resolve()
    artifacts = tmp_path / "artifacts"

    assert run_dbt(project, ["parse"], artifacts_dir=artifacts).success
    _log(artifacts)

    plain = subprocess.run(
        [
            str(DBT), "ls", "--resource-type", "model",
            "--target-path", str(artifacts / "target"), "--log-path", str(artifacts / "logs"),
        ],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert any(line.endswith(".fct_flights") for line in plain.stdout.splitlines())
    seen = _log(artifacts)
    assert FULL_PARSE not in seen, [line for line in seen.splitlines() if FULL_PARSE in line]

    assert run_dbt(project, ["parse"], artifacts_dir=artifacts).success
    again = _log(artifacts)
    assert FULL_PARSE not in again, [line for line in again.splitlines() if FULL_PARSE in line]
