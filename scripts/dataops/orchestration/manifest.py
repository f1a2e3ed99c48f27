"""The dbt manifest the asset definitions are made from: ``dbt parse``, again when stale.

Parsing needs no warehouse and no network. The manifest is parsed again when a
file of the project is newer than it (a model, a macro, a test, a YAML file), so
that the asset graph follows the project. Two processes loading the definitions
at once (``dg dev``'s code server, a validation) parse one after the other.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dataops.core.dbt import run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)

PROJECT_FOLDERS = ("models", "macros", "snapshots", "seeds", "data_tests", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml")


def newest_project_file(project: Project) -> float:
    """The latest modification time of the files dbt parses."""
    times = [
        path.stat().st_mtime
        for folder in PROJECT_FOLDERS
        if (project.root / folder).is_dir()
        for path in (project.root / folder).rglob("*")
        if path.is_file()
    ]
    times += [
        (project.root / name).stat().st_mtime
        for name in PROJECT_FILES
        if (project.root / name).is_file()
    ]
    return max(times, default=0.0)


@contextmanager
def _parsing(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".parse.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # waits for a parse under way
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_manifest(project: Project, folder: Path, target: str) -> Path:
    """``folder/target/manifest.json``, parsed now if missing or older than the project."""
    manifest = folder / "target" / "manifest.json"
    with _parsing(folder):
        if manifest.exists() and manifest.stat().st_mtime >= newest_project_file(project):
            return manifest
        log.info("dbt parse: the manifest of the asset definitions (%s)", manifest)
        outcome = run_dbt(project, ["parse"], target, artifacts_dir=folder)
        if not outcome.success or not manifest.exists():
            raise DataOpsError(
                "dbt parse failed: the dbt assets cannot be defined",
                f"run dbt parse in {project.root} and fix what it reports"
                f" (log: {folder / 'logs' / 'dbt.log'})",
            )
    return manifest


def load_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
