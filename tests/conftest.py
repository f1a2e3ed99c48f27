"""Shared fixtures: a project whose data and warehouses live in a temporary folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dataops.feed import feed
from dataops.project import Project
from dataops.sources import Feed, load_feeds

ROOT = Path(__file__).parents[1]
FED_START = date(2013, 1, 1)
FED_END = date(2013, 1, 3)


@pytest.fixture
def project_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """This checkout, with data/ and warehouse/ moved into ``tmp_path``."""
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    return Project.discover(ROOT)


@pytest.fixture(scope="session")
def feeds() -> dict[str, Feed]:
    return load_feeds(ROOT / "models")


@pytest.fixture(scope="session")
def fed_inbox(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> Path:
    """An inbox fed with FED_START..FED_END; copy it, never change it."""
    inbox = tmp_path_factory.mktemp("fed") / "inbox"
    feed(feeds, inbox, FED_START, FED_END)
    return inbox


@pytest.fixture(scope="session")
def built_days(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> dict:
    """FED_START..FED_END fed, ingested and built on the ci target, and the docs generated.

    Shared by the docs, report and browser tests; read it, never change it.
    """
    from dataops import docs
    from dataops.build import build
    from dataops.ingest import ingest

    base = tmp_path_factory.mktemp("built")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(ROOT)
        feed(feeds, project.inbox_dir, FED_START, FED_END)
        ingest(project, "ci")
        built = build(project, "ci", artifacts_dir=base / "dbt")
        outcome = docs.generate(project, "ci", target_dir=base / "dbt" / "target")
        yield {
            "project": project,
            "warehouse": project.warehouse_path("ci"),
            "target_dir": base / "dbt" / "target",
            "docs": outcome,
            "build": built,
            "base": base,
        }
    finally:
        monkeypatch.undo()
