"""Shared fixtures: a project whose data and warehouses live in a temporary folder."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed, load_feeds

ROOT = Path(__file__).parents[1]
FED_START = date(2013, 1, 1)
FED_END = date(2013, 1, 3)

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "ci" (make test) a few derandomized
# examples, not shrunk, "fuzz" (make fuzz) many random ones, shrunk (at most 5 minutes), their
# failures kept under build/ to replay. max_examples is sized for
# tests/project/test_source_mutations.py, two dbt builds an example.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=3,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    database=DirectoryBasedExampleDatabase(str(ROOT / "build" / "hypothesis")),
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The unit of work of the files that read the session build `built_days` (BUILT_DAYS_FILES).
SHARED_UNIT = "built_days"
TESTS = Path(__file__).parent

# The files that read the session build `built_days` (their paths under tests/): one unit of
# work together (SharedBuildScheduling), so that one worker builds it, not each.
BUILT_DAYS_FILES = frozenset(
    {
        "catalog/test_column_lineage_panel.py",
        "catalog/test_coverage.py",
        "catalog/test_docs.py",
        "catalog/test_glossary_page.py",
        "docs/test_runnable.py",
        "docs/test_screenshots.py",
        "orchestration/test_orchestration_outside.py",
        "catalog/test_docs_overview.py",
        "ml/test_ml_leakage.py",
        "observability/test_browser.py",
        "observability/test_known_gaps.py",
        "observability/test_report.py",
        "observability/test_report_freshness.py",
        "project/test_semantic_layer.py",
    }
)


def _file(path: str | Path) -> str:
    """A test file's path under tests/ (``observability/test_report.py``)."""
    path = Path(path)
    if path.is_absolute():
        return path.relative_to(TESTS).as_posix()
    return path.as_posix().removeprefix(f"{TESTS.name}/")


def _unit(path: str | Path) -> str:
    file = _file(path)
    return SHARED_UNIT if file in BUILT_DAYS_FILES else file


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the units of work so that the long ones start first, by a rule, not by timings.

    ``make test`` runs pytest-xdist with ``--dist loadfile --no-loadscope-reorder``: each file
    is one unit of work (the BUILT_DAYS_FILES one together), handed out in this order, so the
    short units fill in behind the long ones and the workers end together. Spark's first (a
    Spark session and two builds), then the end-to-end ones (``e2e``: dbt builds on real
    data), then the rest; within each, the larger unit (lines of its test files) first.
    """
    unlisted = sorted(
        {_file(item.path) for item in items if "built_days" in item.fixturenames} - BUILT_DAYS_FILES
    )
    if unlisted:
        raise pytest.UsageError(
            f"{', '.join(unlisted)} use built_days: add them to BUILT_DAYS_FILES"
            " in tests/conftest.py"
        )
    kind: dict[str, int] = {}
    files: dict[str, set[Path]] = {}
    for item in items:
        unit = _unit(item.path)
        rank = 0 if item.get_closest_marker("spark") else 1 if item.get_closest_marker("e2e") else 2
        kind[unit] = min(kind.get(unit, rank), rank)
        files.setdefault(unit, set()).add(item.path)
    size = {
        unit: sum(len(path.read_bytes().splitlines()) for path in paths)
        for unit, paths in files.items()
    }
    items.sort(key=lambda item: (kind[_unit(item.path)], -size[_unit(item.path)], _unit(item.path)))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``--dist loadfile``: each file one unit of work, the BUILT_DAYS_FILES one together.

    (``--dist loadgroup`` cannot group them: pytest-xdist 3.8.0 renames the grouped
    items through ``Item._nodeid``, which pytest 9.2.0 no longer reads.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedBuildScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SHARED_UNIT if _file(path) in BUILT_DAYS_FILES else path

    return SharedBuildScheduling(config, log)


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
    from dataops.catalog import docs
    from dataops.core.build import build
    from dataops.ingest.run import ingest

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


@pytest.fixture(scope="session")
def artefacts(built_days: dict) -> tuple[dict, dict]:
    """The manifest and the catalog of ``built_days`` (docs, lineage and coverage tests)."""
    import json

    target = built_days["target_dir"]
    return (
        json.loads((target / "manifest.json").read_text()),
        json.loads((target / "catalog.json").read_text()),
    )


@pytest.fixture(scope="session")
def traced(artefacts: tuple[dict, dict]):
    """The column lineage of ``built_days`` (``dataops.catalog.lineage.compute``); read it only."""
    from dataops.catalog import lineage

    return lineage.compute(*artefacts)


@pytest.fixture
def browser():
    """A chromium page that records external requests and console errors
    (``Watched`` of tests/observability/test_browser.py), for the report's and the docs'
    browser tests."""
    from tests.observability.test_browser import Watched, chromium

    with chromium({"width": 1400, "height": 1000}) as context:
        yield Watched(context)


# The analysis backbone's fixture (tests/ml/test_ml_backbone.py,
# tests/observability/test_browser.py).


def _rows(project: Project, relation: str) -> int:
    import duckdb

    con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
    try:
        return int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
    finally:
        con.close()


TRAIN_START = date(2013, 1, 1)
TRAIN_END = date(2013, 1, 14)
ORDINARY_DAY = date(2013, 1, 15)
SHIFTED_DAY = date(2013, 1, 16)
SHIFT_FAHRENHEIT = 30.0


def shift_temperatures(path: Path, degrees: float) -> int:
    """Add ``degrees`` to every temperature of a weather JSON-lines file; lines changed."""
    import json

    lines, changed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        reading = json.loads(line)
        if reading.get("temp") is not None:
            reading["temp"] = round(reading["temp"] + degrees, 2)
            changed += 1
        lines.append(json.dumps(reading))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


@pytest.fixture(scope="session")
def trained_weeks_store(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> dict:
    """Two weeks of January on ci, a champion trained twice, then two more days scored.

    1. 2013-01-01..14 fed, ingested and built: no champion yet;
    2. ``dataops train`` twice on the same data: v1, then v2 (same seed);
    3. 2013-01-15 (as sent) and 2013-01-16 (its temperatures 30 F higher) fed,
       ingested and built: every day scored by the champion and monitored.

    Read what each step left; tests that change the registry or the warehouse
    (test_ml_backbone.py) leave a champion and its predictions behind.
    """
    from dataops.cli import main
    from dataops.core.build import build
    from dataops.data.feed import file_name
    from dataops.ingest.run import ingest

    base = tmp_path_factory.mktemp("trained")
    env = {
        "DATAOPS_PROJECT_DIR": str(ROOT),
        "DATAOPS_DATA_DIR": str(base / "data"),
        "DATAOPS_WAREHOUSE_DIR": str(base / "warehouse"),
    }
    monkeypatch = pytest.MonkeyPatch()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(ROOT)
        feed(feeds, project.inbox_dir, TRAIN_START, TRAIN_END)
        ingest(project, "ci")
        first = build(project, "ci", artifacts_dir=base / "first")
        steps: dict = {
            "project": project,
            "base": base,
            "env": env,
            "warehouse": project.warehouse_path("ci"),
            "first_build": first,
        }
        steps["first_log"] = (base / "first" / "logs" / "dbt.log").read_text(encoding="utf-8")
        steps["first_predictions"] = _rows(project, "marts.ml_delay_predictions")
        steps["trained"] = [main(["train", "--target", "ci"]), main(["train", "--target", "ci"])]
        feed(feeds, project.inbox_dir, ORDINARY_DAY, SHIFTED_DAY)
        weather = project.inbox_dir / "weather" / file_name("weather", SHIFTED_DAY, "jsonl")
        steps["shifted_readings"] = shift_temperatures(weather, SHIFT_FAHRENHEIT)
        ingest(project, "ci")
        steps["scored_build"] = build(project, "ci", artifacts_dir=base / "scored")
        yield steps
    finally:
        monkeypatch.undo()


@pytest.fixture
def trained_weeks(trained_weeks_store: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    """``trained_weeks_store``, its folders in the environment for the length of the test.

    Session fixtures that set the environment (built_days too) stay active side by
    side: whichever was set up last would otherwise decide which warehouse
    ``Project.warehouse_dir`` and the commands the test runs see.
    """
    for key, value in trained_weeks_store["env"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    return trained_weeks_store
