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
