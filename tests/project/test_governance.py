"""Governance in the manifest: groups and access, contracts and constraints, selectors,
and the YAML checked against dbt's own JSON schemas.

Parse-level where it can be: the project is parsed once, and the selectors are listed
against that manifest; the contract and the constraint are broken in a copy of the
project, on the one mart that needs no data (the calendar, ``dim_dates``).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from dataops.catalog import yaml_schemas
from dataops.core.dbt import run_dbt
from dataops.core.project import Project

ROOT = Path(__file__).parents[2]
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "selectors.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", "snapshots", "data_tests", "analyses")
BUILT = ("model", "snapshot", "seed")
# The calendar is built alone: the run history records nothing.
NO_HISTORY = ["--vars", "{observability_enabled: false}"]


def copy_project(folder: Path) -> Path:
    """The dbt part of this checkout, copied into ``folder``."""
    folder.mkdir(parents=True)
    for name in PROJECT_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, folder / name)
    for name in PROJECT_FOLDERS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, folder / name)
    return folder


def dbt_args(project_dir: Path, target_path: Path) -> list[str]:
    return [
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        "ci",
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
    ]


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the project parsed once on the ci target (dbt's manifest and its JSON),
    with its calendar (the holidays seed and ``dim_dates``) built from that manifest."""
    base = tmp_path_factory.mktemp("governance")
    project = copy_project(base / "project")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    (base / "warehouse").mkdir()
    try:
        target = base / "target"
        parse = ["parse", "--no-partial-parse", *NO_HISTORY, *dbt_args(project, target)]
        result = dbtRunner().invoke(parse)
        assert result.success, result.exception
        calendar = ["-s", "us_federal_holidays", "dim_dates", *NO_HISTORY]
        for command in (["seed", *calendar], ["run", *calendar]):
            run = dbtRunner(manifest=result.result).invoke([*command, *dbt_args(project, target)])
            assert run.success, run.exception
        manifest = json.loads((target / "manifest.json").read_text("utf-8"))
        yield {"manifest": result.result, "json": manifest, "base": base, "project": project}
    finally:
        monkeypatch.undo()


def listed(parsed: dict, *selection: str, target: Path | None = None) -> set[str]:
    """``dbt ls`` of the models, snapshots and seeds a selection selects (unique ids)."""
    target = target or parsed["base"] / "target"
    types = [arg for kind in BUILT for arg in ("--resource-type", kind)]
    args = ["ls", *selection, *types, "--output", "json", "--output-keys", "unique_id"]
    project = parsed["project"]
    result = dbtRunner(manifest=parsed["manifest"]).invoke([*args, *dbt_args(project, target)])
    assert result.success, result.exception
    return {json.loads(line)["unique_id"] for line in result.result}


def built(manifest: dict, unique_ids: Iterable[str]) -> set[str]:
    return {uid for uid in unique_ids if uid.split(".")[0] in BUILT}


def downstream(manifest: dict, roots: Iterable[str]) -> set[str]:
    """``roots`` and every node that reads them, directly or not (the manifest's child map)."""
    seen, todo = set(), list(roots)
    while todo:
        unique_id = todo.pop()
        if unique_id not in seen:
            seen.add(unique_id)
            todo.extend(manifest["child_map"].get(unique_id, []))
    return seen


# Groups and access.


def test_every_model_has_a_group_with_an_owner(parsed: dict) -> None:
    manifest = parsed["json"]
    groups = {group["name"]: group for group in manifest["groups"].values()}
    assert set(groups) == {"ingestion", "trusted_data", "analytics", "data_science"}
    assert all(group["owner"]["name"] and group["owner"]["email"] for group in groups.values())
    nodes = manifest["nodes"]
    models = [node for node in nodes.values() if node["resource_type"] == "model"]
    assert {node["config"]["group"] for node in models} == set(groups)
    for node in models:
        readers = {
            nodes[child]["config"]["group"]
            for child in manifest["child_map"][node["unique_id"]]
            if nodes.get(child, {}).get("resource_type") == "model"
        }
        if node["fqn"][1] == "marts":
            expected = "public"
        elif node["name"].startswith("int_") and readers <= {node["config"]["group"]}:
            expected = "private"  # a helper read by its own group only
        else:
            expected = "protected"
        assert node["access"] == expected, node["unique_id"]


def test_a_ref_to_a_private_model_from_another_group_fails_to_parse(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "models" / "marts" / "core" / "dim_airline_rules.sql").write_text(
        "select * from {{ ref('int_airlines_validated') }}\n", "utf-8"
    )
    (tmp_path / "warehouse").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAOPS_DATA_DIR", str(tmp_path / "data"))
        patch.setenv("DATAOPS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
        result = dbtRunner().invoke(
            ["parse", "--no-partial-parse", *dbt_args(project, tmp_path / "target")]
        )
    assert not result.success
    message = " ".join(str(result.exception).split())
    assert "model.nycflights.dim_airline_rules" in message
    assert "model.nycflights.int_airlines_validated" in message
    assert "is private to the 'trusted_data' group" in message


# Contracts and constraints (enforced by DuckDB).


# At the flight grain the key is tested, not constrained: DuckDB keeps a primary key's index
# in memory, and at 100x committing those of fct_flights and ml_delay_features took more
# than the 3 GB limit.
TESTED_KEYS = {
    "model.nycflights.fct_flights": "flight_id",
    "model.nycflights.ml_delay_features": "flight_id",
}


def test_the_public_marts_declare_their_keys_as_constraints(parsed: dict) -> None:
    """Every SQL mart (a table) is public, with a contract and one primary key constraint;
    the flight-grain marts (TESTED_KEYS) a not_null constraint and unique and not_null tests
    on the key."""
    marts = [
        node
        for node in parsed["json"]["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    tables = [
        node
        for node in marts
        if node["language"] == "sql" and node["config"]["materialized"] != "view"
    ]
    assert len(tables) > 10
    assert {node["access"] for node in marts} == {"public"}
    for node in tables:
        assert node["contract"]["enforced"], node["unique_id"]
        keys = [
            [name]
            for name, column in node["columns"].items()
            if "primary_key" in {constraint["type"] for constraint in column["constraints"]}
        ] + [c["columns"] for c in node["constraints"] if c["type"] == "primary_key"]
        if node["unique_id"] not in TESTED_KEYS:
            assert len(keys) == 1, node["unique_id"]
            continue
        key = TESTED_KEYS[node["unique_id"]]
        assert keys == [], node["unique_id"]
        assert {c["type"] for c in node["columns"][key]["constraints"]} == {"not_null"}
        tested = {
            test["test_metadata"]["name"]
            for test in parsed["json"]["nodes"].values()
            if test["resource_type"] == "test"
            and test.get("attached_node") == node["unique_id"]
            and test.get("column_name") == key
            and test.get("test_metadata")
        }
        assert {"unique", "not_null"} <= tested, tested


def rebuild_calendar(parsed: dict, old: str, new: str) -> str:
    """Run ``dim_dates`` with ``old`` replaced by ``new`` in its SQL; dbt's message."""
    path = parsed["project"] / "models" / "marts" / "core" / "dim_dates.sql"
    sql = path.read_text("utf-8")
    assert old in sql
    path.write_text(sql.replace(old, new), "utf-8")
    try:
        project = Project(parsed["project"])
        artifacts = parsed["base"]
        outcome = run_dbt(project, ["run", "-s", "dim_dates", *NO_HISTORY], "ci", artifacts)
    finally:
        path.write_text(sql, "utf-8")
    assert not outcome.success
    return " ".join(" ".join(outcome.failures).split())


def test_a_duplicate_key_breaks_the_primary_key_constraint(parsed: dict) -> None:
    message = rebuild_calendar(
        parsed,
        "select * from final\n",
        "select * from final\nunion all\nselect * from final where day_of_month = 1\n",
    )
    assert "PRIMARY KEY or UNIQUE constraint violation: duplicate key" in message


def test_a_missing_value_breaks_the_not_null_constraint(parsed: dict) -> None:
    message = rebuild_calendar(
        parsed,
        "holidays.holiday_date is not null as is_holiday,",
        "cast(null as boolean) as is_holiday,",
    )
    assert "NOT NULL constraint failed" in message and "is_holiday" in message


def test_a_column_of_another_type_breaks_the_contract(parsed: dict) -> None:
    message = rebuild_calendar(
        parsed,
        "cast(extract(year from date_day) as bigint) as year_number",
        "cast(extract(year from date_day) as varchar) as year_number",
    )
    assert "contract" in message and "year_number" in message


# Selectors.


def test_ml_chain_selects_the_ml_datasets_and_all_that_reads_them(parsed: dict) -> None:
    manifest = parsed["json"]
    expected = built(manifest, downstream(manifest, ["model.nycflights.ml_delay_features"]))
    assert "model.nycflights.model_feature_drift" in expected
    assert listed(parsed, "--selector", "ml_chain") == expected


def test_observability_selects_the_run_history(parsed: dict) -> None:
    nodes = parsed["json"]["nodes"].values()
    expected = {
        node["unique_id"]
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["schema"] == "observability"
    }
    assert len(expected) > 5
    assert listed(parsed, "--selector", "observability") == expected


def test_daily_freshness_measures_every_source_but_the_ingestion_log(parsed: dict) -> None:
    sources = parsed["json"]["sources"].values()
    expected = {source["unique_id"] for source in sources if source["source_name"] != "ingestion"}
    assert expected and len(expected) < len(parsed["json"]["sources"])
    args = ["ls", "--selector", "daily_freshness", "--resource-type", "source"]
    args += ["--output", "json", "--output-keys", "unique_id"]
    args += dbt_args(parsed["project"], parsed["base"] / "target")
    result = dbtRunner(manifest=parsed["manifest"]).invoke(args)
    assert result.success, result.exception
    assert {json.loads(line)["unique_id"] for line in result.result} == expected


def freshness(sources: dict[str, datetime]) -> dict:
    """A ``sources.json`` of ``dbt source freshness``: each source's newest load."""
    now = datetime.now(UTC)
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
            "dbt_version": "1.11.0",
            "generated_at": now.isoformat(),
            "invocation_id": "00000000-0000-0000-0000-000000000000",
            "env": {},
        },
        "results": [
            {
                "unique_id": unique_id,
                "max_loaded_at": loaded.isoformat(),
                "snapshotted_at": now.isoformat(),
                "max_loaded_at_time_ago_in_s": (now - loaded).total_seconds(),
                "status": "pass",
                "criteria": {"warn_after": {}, "error_after": {}, "filter": None},
                "adapter_response": {},
                "timing": [],
                "thread_id": "Thread-1",
                "execution_time": 0.1,
            }
            for unique_id, loaded in sources.items()
        ],
        "elapsed_time": 0.1,
    }


def test_daily_builds_what_the_fresher_sources_reach(parsed: dict, tmp_path: Path) -> None:
    manifest = parsed["json"]
    sources = [uid for uid, s in manifest["sources"].items() if s["source_name"] != "ingestion"]
    fresher = ["source.nycflights.flights.flights", "source.nycflights.weather.observations"]
    before = datetime(2013, 1, 2, 6, tzinfo=UTC)
    state, target = tmp_path / "state", tmp_path / "target"
    state.mkdir()
    target.mkdir()
    (state / "sources.json").write_text(json.dumps(freshness(dict.fromkeys(sources, before))))
    later = {uid: before + timedelta(days=1 if uid in fresher else 0) for uid in sources}
    (target / "sources.json").write_text(json.dumps(freshness(later)))

    selected = listed(parsed, "--selector", "daily", "--state", str(state), target=target)
    expected = built(manifest, downstream(manifest, fresher))
    assert "model.nycflights.fct_flights" in expected
    assert not [uid for uid in expected if uid.startswith("snapshot.")]
    assert selected == expected


def test_slim_ci_builds_the_changed_models_and_what_reads_them(
    parsed: dict, tmp_path: Path
) -> None:
    manifest = parsed["json"]
    state = tmp_path / "state"
    state.mkdir()
    prod = copy.deepcopy(manifest)
    changed = "model.nycflights.trusted_airlines"
    prod["nodes"][changed]["raw_code"] += "\n-- as prod had it"
    (state / "manifest.json").write_text(json.dumps(prod), "utf-8")

    selected = listed(parsed, "--selector", "slim_ci", "--state", str(state))
    assert selected == built(manifest, downstream(manifest, [changed]))
    assert "model.nycflights.dim_airlines" in selected


# The YAML against dbt's JSON schemas.


def check_schema(capfd: pytest.CaptureFixture[str], kind: str, *files: Path) -> tuple[int, str]:
    """The pre-commit hook on ``files``: its exit status and what check-jsonschema said."""
    status = yaml_schemas.main([kind, *map(str, files)])
    said = capfd.readouterr()
    return status, said.out + said.err


def test_the_project_yaml_passes_dbt_schemas(capfd: pytest.CaptureFixture[str]) -> None:
    files = sorted(
        path
        for folder in PROJECT_FOLDERS
        if (ROOT / folder).is_dir()
        for path in (ROOT / folder).rglob("*.yml")
    )
    assert len(files) > 50
    assert check_schema(capfd, "resources", *files) == (0, "ok -- validation done\n")
    assert check_schema(capfd, "project", ROOT / "dbt_project.yml") == (
        0,
        "ok -- validation done\n",
    )


def test_the_schema_check_refuses_a_wrong_yaml(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    calendar = (ROOT / "models" / "marts" / "core" / "dim_dates.yml").read_text("utf-8")
    misspelt = tmp_path / "misspelt.yml"
    misspelt.write_text(calendar.replace("    description:", "    descripton:", 1), "utf-8")
    trusted = (ROOT / "models" / "trusted" / "trusted_flights.yml").read_text("utf-8")
    lowercase = tmp_path / "lowercase.yml"
    lowercase.write_text(trusted.replace("severity: Warn", "severity: warn"), "utf-8")
    status, said = check_schema(capfd, "resources", misspelt, lowercase)
    assert status == 1
    assert "misspelt.yml::$.models[0]: Additional properties are not allowed" in said
    assert "'descripton' was unexpected" in said
    assert "'warn' is not one of ['Error', 'Warn']" in said

    project = (ROOT / "dbt_project.yml").read_text("utf-8")
    not_boolean = tmp_path / "dbt_project.yml"
    not_boolean.write_text(project.replace("+full_refresh: false", '+full_refresh: "no"'))
    status, said = check_schema(capfd, "project", not_boolean)
    assert status == 1
    assert "'no' is not of type 'boolean'" in said


def test_the_schema_check_names_a_missing_file(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "models" / "gone.yml"
    status, said = check_schema(capfd, "resources", missing)
    assert status == 2
    assert f"error: no such file: {missing}" in said
    assert "Traceback" not in said
