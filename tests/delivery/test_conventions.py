"""Each convention check of ``dataops check`` (dbt-bouncer's, configured in dbt-bouncer.yml,
and the project's own rules) fires on the node of a fixture project that breaks it, and on
nothing else; the project itself breaks none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from dataops.cli import main
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.conventions import (
    BOUNCER_CONFIG,
    PROJECT_RULES,
    Violation,
    check_manifest,
    check_project,
    load_config,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "conventions_project"
CONFIG = Path(__file__).parents[2] / BOUNCER_CONFIG
NODE = "model.conventions_fixture."

# The fixture's deliberate violations: (check or rule, node). Every other node complies.
EXPECTED = {
    ("check_model_directories", NODE + "orders_outside_zones"),
    ("check_model_schema_name", NODE + "trusted_orders_in_marts"),
    ("check_model_names", NODE + "orders_summary"),
    ("check_snapshot_names", "snapshot.conventions_fixture.orders_history"),
    ("check_lineage_source_cannot_be_used", NODE + "stg_shop__orders_from_source"),
    ("check_lineage_permitted_upstream_models", NODE + "trusted_orders_from_mart"),
    ("check_lineage_permitted_upstream_models", NODE + "quarantine_orders"),
    ("check_model_hard_coded_references", NODE + "dim_orders_hard_coded"),
    ("check_model_code_does_not_contain_regexp_pattern", NODE + "trusted_orders_with_depends_on"),
    ("check_model_has_contracts_enforced", NODE + "dim_orders_without_contract"),
    ("check_model_contract_enforced_for_public_model", NODE + "trusted_orders_public"),
    ("check_model_columns_have_types", NODE + "ml_orders"),
    ("check_model_description_populated", NODE + "dim_orders_undocumented"),
    ("check_model_column_description_populated", NODE + "dim_orders_undocumented"),
    (
        "check_snapshot_description_populated",
        "snapshot.conventions_fixture.snapshot_orders_undocumented",
    ),
    ("check_source_description_populated", "source.conventions_fixture.legacy.customers"),
    ("check_source_top_level_description_populated", "source.conventions_fixture.legacy.customers"),
    ("check_source_freshness_populated", "source.conventions_fixture.legacy.customers"),
    ("check_source_not_orphaned", "source.conventions_fixture.legacy.customers"),
    ("check_model_has_properties_file", NODE + "trusted_orders_unlisted"),
    # a model no YAML declares has no description, and no key tested either
    ("check_model_documented_in_same_directory", NODE + "trusted_orders_unlisted"),
    ("check_model_description_populated", NODE + "trusted_orders_unlisted"),
    ("missing-primary-key-test", NODE + "trusted_orders_unlisted"),
    ("check_model_documented_in_same_directory", NODE + "stg_shop__orders_listed_elsewhere"),
    ("check_macro_description_populated", "macro.conventions_fixture.orders_of_undescribed"),
    (
        "check_macro_arguments_description_populated",
        "macro.conventions_fixture.orders_of_argument_undescribed",
    ),
    ("check_seed_description_populated", "seed.conventions_fixture.shop_regions"),
    ("check_exposure_description_populated", "exposure.conventions_fixture.orders_export"),
    ("missing-primary-key-test", NODE + "dim_orders_without_key"),
    ("snapshot-lineage", NODE + "trusted_orders_from_snapshot"),
    ("hook-built-from-strings", NODE + "trusted_orders_with_hook_strings"),
}
RULES = sorted(
    {check["name"] for check in load_config(CONFIG)["manifest_checks"]} | {*PROJECT_RULES}
)


@pytest.fixture(scope="module")
def fixture_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    return folder / "target" / "manifest.json"


@pytest.fixture(scope="module")
def fixture_violations(fixture_manifest: Path) -> list[Violation]:
    return check_manifest(fixture_manifest, CONFIG)


def test_every_rule_has_a_violating_fixture() -> None:
    assert {rule for rule, _node in EXPECTED} == set(RULES)


@pytest.mark.parametrize("rule", RULES)
def test_rule_fires_on_its_violation(fixture_violations: list, rule: str) -> None:
    fired = {v.node for v in fixture_violations if v.rule == rule}
    assert fired == {node for expected, node in EXPECTED if expected == rule}
    for violation in fixture_violations:
        if violation.rule == rule:
            assert violation.path and violation.message
            assert rule in str(violation) and violation.node in str(violation)


def test_compliant_nodes_pass(fixture_violations: list) -> None:
    assert {(v.rule, v.node) for v in fixture_violations} == EXPECTED


def test_a_python_mart_declares_its_types_instead_of_a_contract(
    fixture_violations: list[Violation],
) -> None:
    """dbt enforces contracts on SQL models only: a Python mart is held to typed columns."""

    def rules_of(name: str) -> set[str]:
        return {v.rule for v in fixture_violations if v.node == NODE + name}

    assert rules_of("ml_orders") == {"check_model_columns_have_types"}
    assert rules_of("ml_orders_typed") == set()


def test_each_violation_says_what_to_do(fixture_violations: list[Violation]) -> None:
    """A dbt-bouncer failure starts with its check's description in dbt-bouncer.yml."""
    described: dict[str, set[str]] = {}
    for check in load_config(CONFIG)["manifest_checks"]:
        assert check.get("description"), check["name"]
        described.setdefault(check["name"], set()).add(check["description"].strip())
    for violation in fixture_violations:
        if violation.rule not in PROJECT_RULES:
            assert any(violation.message.startswith(text) for text in described[violation.rule])


def test_cli_prints_each_violation_and_fails(
    fixture_manifest: Path, fixture_violations: list[Violation], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--manifest", str(fixture_manifest)]) == 1
    captured = capsys.readouterr()
    printed = captured.out.splitlines()
    assert printed == [str(violation) for violation in fixture_violations]
    assert f"{len(EXPECTED)} convention violations" in captured.err


def test_a_broken_configuration_is_a_clear_error(fixture_manifest: Path, tmp_path: Path) -> None:
    with pytest.raises(DataOpsError, match="no dbt-bouncer configuration"):
        check_manifest(fixture_manifest, tmp_path / BOUNCER_CONFIG)
    broken = tmp_path / BOUNCER_CONFIG
    broken.write_text("manifest_checks:\n  - name: check_model_nmaes\n", encoding="utf-8")
    with pytest.raises(DataOpsError, match="dbt-bouncer failed") as raised:
        check_manifest(fixture_manifest, broken)
    assert "check_model_nmaes" in str(raised.value)


def test_the_project_follows_its_conventions(project_env: Project, tmp_path: Path) -> None:
    assert check_project(project_env, artifacts_dir=tmp_path / "dbt") == []
