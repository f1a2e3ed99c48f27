"""A prod published from the real 2013-01-01..02 in a temporary folder, for the consumers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dataops.core.project import Project
from dataops.data.feed import feed

ROOT = Path(__file__).parents[2]
# dataops, with the consumers' commands registered whether or not dataops.cli's FAMILIES
# lists them yet
DATAOPS = [
    sys.executable,
    "-c",
    "import sys; from dataops.cli import consumers, main; sys.exit(main(sys.argv[1:]))",
]
PUBLISHED_START = date(2013, 1, 1)
PUBLISHED_END = date(2013, 1, 2)
NEXT_DAY = date(2013, 1, 3)


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DATAOPS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, feeds) -> dict:
    """2013-01-01..02 fed and published into prod; its report written; ``env`` runs dataops."""
    base = tmp_path_factory.mktemp("consumers")
    env = {
        **os.environ,
        "DATAOPS_PROJECT_DIR": str(ROOT),
        "DATAOPS_DATA_DIR": str(base / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(base / "warehouse"),
        "DBT_LOG_PATH": str(base / "logs"),
    }
    env.pop("DBT_TARGET", None)
    monkeypatch = pytest.MonkeyPatch()
    for key in ("DATAOPS_PROJECT_DIR", "DATAOPS_DATA_DIR", "DATAOPS_WAREHOUSE_DIR"):
        monkeypatch.setenv(key, env[key])
    try:
        project = Project.discover(ROOT)
        feed(feeds, project.inbox_dir, PUBLISHED_START, PUBLISHED_END)
        published = run(env, "publish")
        assert published.returncode == 0, published.stderr
        report = run(env, "report", "--target", "prod", "-o", str(base / "report_prod.html"))
        assert report.returncode == 0, report.stderr
        yield {"project": project, "env": env, "base": base}
    finally:
        monkeypatch.undo()
