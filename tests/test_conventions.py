"""Each convention rule of ``dataops check`` fires on the node of a fixture project that
breaks it, and on nothing else; the project itself breaks none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from dataops.conventions import RULES, check_manifest, check_project, load_manifest
from dataops.project import Project

FIXTURE = Path(__file__).parent / "fixtures" / "conventions_project"

# The fixture's deliberate violations: (rule, node). Every other node complies.
EXPECTED = {
    ("source-outside-landing", "model.conventions_fixture.stg_shop__orders_from_source"),
    ("dependency-direction", "model.conventions_fixture.trusted_orders_from_mart"),
    ("dependency-direction", "model.conventions_fixture.quarantine_orders"),
    ("hard-coded-reference", "model.conventions_fixture.dim_orders_hard_coded"),
    ("naming-convention", "model.conventions_fixture.orders_summary"),
    ("model-directory", "model.conventions_fixture.trusted_orders_in_marts"),
    ("missing-primary-key-test", "model.conventions_fixture.dim_orders_without_key"),
    ("source-freshness", "source.conventions_fixture.legacy.customers"),
    ("public-model-contract", "model.conventions_fixture.dim_orders_without_contract"),
    ("undocumented-model", "model.conventions_fixture.dim_orders_undocumented"),
    ("undocumented-source", "source.conventions_fixture.legacy.customers"),
    ("unused-source", "source.conventions_fixture.legacy.customers"),
    ("depends-on-comment", "model.conventions_fixture.trusted_orders_with_depends_on"),
    ("hook-built-from-strings", "model.conventions_fixture.trusted_orders_with_hook_strings"),
}


@pytest.fixture(scope="module")
def fixture_violations(tmp_path_factory: pytest.TempPathFactory) -> list:
    folder = tmp_path_factory.mktemp("conventions") / "project"
    shutil.copytree(FIXTURE, folder)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("FIXTURE_WAREHOUSE", str(folder / "fixture.duckdb"))
    try:
        result = dbtRunner().invoke(
            [
                "parse",
                "--no-partial-parse",
                "--project-dir",
                str(folder),
                "--profiles-dir",
                str(folder),
                "--log-path",
                str(folder / "logs"),
            ]
        )
    finally:
        monkeypatch.undo()
    assert result.success, result.exception
    return check_manifest(load_manifest(folder / "target" / "manifest.json"))


def test_every_rule_has_a_violating_fixture() -> None:
    assert {rule for rule, _node in EXPECTED} == set(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_fires_on_its_violation(fixture_violations: list, rule: str) -> None:
    fired = {v.node for v in fixture_violations if v.rule == rule}
    assert fired == {node for expected, node in EXPECTED if expected == rule}
    for violation in fixture_violations:
        if violation.rule == rule:
            assert violation.path and violation.message
            assert rule in str(violation) and violation.node in str(violation)


def test_compliant_nodes_pass(fixture_violations: list) -> None:
    assert {(v.rule, v.node) for v in fixture_violations} == EXPECTED


def test_the_project_follows_its_conventions(project_env: Project, tmp_path: Path) -> None:
    assert check_project(project_env, artifacts_dir=tmp_path / "dbt") == []
