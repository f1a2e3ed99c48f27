"""A fresh copy of the project for the commands the docs give: the tour, the runnable blocks.

The commands write beside the project (``target/``, ``logs/``), so they run in a copy of
its files, with the data and warehouse folders of their own and the venv of this
interpreter (``.venv`` linked, so that the Makefile's targets find it).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tests.docs.markdown import ROOT

# Runtime state and caches: never copied (.gitignore's folders, and the venv).
SKIPPED = frozenset(
    {
        ".git",
        ".venv",
        "build",
        "target",
        "logs",
        "data",
        "warehouse",
        "dbt_packages",
        "__pycache__",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
    }
)
VENV = Path(sys.executable).parents[1]


def copy_project(destination: Path, root: Path = ROOT) -> Path:
    """The project's files (no runtime state) copied into ``destination``, the venv linked."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == root
        return {
            name
            for name in names
            if name in {"__pycache__", ".ruff_cache", ".pytest_cache"}
            or (top and name in SKIPPED)
            or name.endswith(".egg-info")
        }

    shutil.copytree(root, destination, ignore=ignored, symlinks=True)
    (destination / ".venv").symlink_to(VENV)
    return destination


def environment(project: Path, data: Path, warehouse: Path, **extra: str) -> dict[str, str]:
    """The shell environment of a command run in ``project``: its folders, the venv first."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBT_TARGET", "DAGSTER_HOME", "PYTEST_CURRENT_TEST")
    }
    env.update(
        PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(project / "scripts"),
        DATAOPS_PROJECT_DIR=str(project),
        DATAOPS_DATA_DIR=str(data),
        DATAOPS_WAREHOUSE_DIR=str(warehouse),
        DO_NOT_TRACK="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        DAGSTER_DISABLE_TELEMETRY="1",
        **extra,
    )
    return env
