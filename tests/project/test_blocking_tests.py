"""docs/blocking-tests.md lists every blocking test beside what keeps source data from it.

The project's error-severity tests are read from a fresh parse of the project; each must
stand in the inventory, each test the inventory names must exist and block, and each rule
it names must be a rule of seeds/quarantine_rules.csv that a validated model applies.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from dataops.core.dbt import run_dbt
from dataops.core.project import Project

ROOT = Path(__file__).parents[2]
INVENTORY = ROOT / "docs" / "blocking-tests.md"
# The zones whose blocking tests could meet a source's rows; seeds and the observability
# history hold only what the project writes itself.
ZONES = {"landing", "staging", "trusted", "quarantine", "snapshots", "marts"}
ROW = re.compile(r"^\| `[^`]+` \| `(?P<test>[^`]+)` \| (?P<shield>.+) \|$")
RULE = re.compile(r"`([a-z]+_[a-z_]+)`")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("blocking_tests")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(folder / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(folder / "warehouse"))
    try:
        outcome = run_dbt(Project.discover(ROOT), ["parse"], target="ci", artifacts_dir=folder)
        assert outcome.success
        return json.loads((folder / "target" / "manifest.json").read_text())
    finally:
        monkeypatch.undo()


def blocking_tests(manifest: dict) -> set[str]:
    names = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node["config"]["severity"].lower() != "error":
            continue
        attached = manifest["nodes"].get(node.get("attached_node") or "", {})
        zone = attached.get("schema")
        if zone in ZONES or (not attached and node["name"].startswith(("source_", "assert_"))):
            names.add(node["name"])
    return names


def inventory() -> dict[str, str]:
    rows = {}
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["test"]] = match["shield"]
    return rows


def test_every_blocking_test_is_in_the_inventory(manifest: dict) -> None:
    listed = inventory()
    assert len(listed) > 100
    missing = blocking_tests(manifest) - set(listed)
    assert not missing, f"add these blocking tests to {INVENTORY.name}: {sorted(missing)}"
    stale = set(listed) - blocking_tests(manifest)
    assert not stale, f"no such blocking test, remove from {INVENTORY.name}: {sorted(stale)}"


def test_every_test_is_shielded_by_a_rule_or_says_why_none_is_needed() -> None:
    with (ROOT / "seeds" / "quarantine_rules.csv").open(newline="") as handle:
        rules = {row["rule_id"] for row in csv.DictReader(handle)}
    validated = " ".join(
        path.read_text() for path in (ROOT / "models" / "trusted").glob("int_*_validated.sql")
    )
    for test, shield in inventory().items():
        named = {
            name
            for name in RULE.findall(shield)
            if name.split("_")[0] in {"flights", "weather", "planes", "airports", "airlines"}
        }
        assert named or shield.startswith("computed: "), (test, shield)
        for rule in named:
            assert rule in rules, (test, rule)
            assert f"'{rule}'" in validated, f"{test}: no validated model applies {rule}"
