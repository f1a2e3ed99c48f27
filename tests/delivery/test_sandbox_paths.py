"""Paths and names that reach SQL, on real days of 2013.

Two rules:

- the sandbox name in DATAOPS_SANDBOX is checked like ``dataops sandbox create``'s,
  by plain ``dbt`` and by ``dataops``, before any database file is opened, so the
  sandbox target only ever writes its own file (``../dev`` used to rebuild
  dev's marts, ``../x`` to create ``warehouse/x.duckdb``);
- every path that goes into SQL is a quoted literal: with data and warehouse
  folders whose names hold an apostrophe, a space and an accented letter, the
  days are fed, ingested and built (target ci), published, built in a sandbox
  and diffed by ``dataops ci`` on DuckDB, and landed on Spark.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments import Environment
from dbt.config.renderer import ProfileRenderer
from dbt.context.base import generate_base_context
from dbt_common.context import set_invocation_context

from dataops.bench.report import synthesise
from dataops.core.build import build
from dataops.core.errors import DataOpsError
from dataops.core.project import CI_SANDBOX, Project, check_sandbox_name
from dataops.delivery.ci import run_ci
from dataops.delivery.publish import Places
from dataops.delivery.publish_inputs import carry_over_log
from dataops.delivery.sandbox import build_in, create
from dataops.ingest.run import LOG_TABLE, ingest, open_log
from tests.conftest import FED_END, FED_START
from tests.core.test_pipeline import flights_between
from tests.delivery.test_delivery import CHANGED_MART, copy_project, sha256

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
# An apostrophe, a space and an accented letter in every folder of the run.
ODD_BASE = "o'brien é"
ODD_DATA = "dat'a é"
ODD_WAREHOUSE = "wäre'house x"
REFUSED_NAMES = ["../dev", "../x", None]  # None: DATAOPS_SANDBOX unset


def _environment(data: Path, warehouse: Path) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DATAOPS_", "DBT_"))
    }
    return {**env, "DATAOPS_DATA_DIR": str(data), "DATAOPS_WAREHOUSE_DIR": str(warehouse)}


def _stamp(path: Path) -> tuple[str, int]:
    return sha256(path), path.stat().st_mtime_ns


def _rows(warehouse: Path, sql: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory, fed_inbox: Path) -> dict:
    """FED_START..FED_END fed, ingested and built on target ci in the odd folders."""
    base = tmp_path_factory.mktemp("paths") / ODD_BASE
    env = _environment(base / ODD_DATA, base / ODD_WAREHOUSE)
    monkeypatch = pytest.MonkeyPatch()
    for key in ("DATAOPS_DATA_DIR", "DATAOPS_WAREHOUSE_DIR"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.delenv("DATAOPS_SANDBOX", raising=False)
    try:
        project = Project.discover(ROOT)
        shutil.copytree(fed_inbox, project.inbox_dir)
        ingest(project, "ci")
        built = build(project, "ci", artifacts_dir=base / "dbt")
        yield {"base": base, "env": env, "project": project, "fed_inbox": fed_inbox, "built": built}
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def ci_warehouse(odd: dict) -> Path:
    return odd["project"].warehouse_path("ci")


@pytest.fixture(scope="module")
def dev(odd: dict, ci_warehouse: Path) -> Path:
    """A dev warehouse holding the built days (a copy of ci's), beside the sandboxes."""
    path = odd["project"].warehouse_dir / "dev.duckdb"
    shutil.copyfile(ci_warehouse, path)
    return path


@pytest.fixture(scope="module")
def prod(odd: dict, ci_warehouse: Path) -> Places:
    """The same days published into prod (write-audit-publish) in the odd folders."""
    project = odd["project"]
    shutil.copytree(odd["fed_inbox"], project.inbox_dir, dirs_exist_ok=True)
    published = run_dataops(odd["env"], "publish")
    assert published.returncode == 0, published.stdout + published.stderr
    return Places.of(project)


def run_dataops(env: dict, *args: str, project: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dataops"), *args],
        env={**env, "DATAOPS_PROJECT_DIR": str(project)},
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.e2e
def test_feed_ingest_and_build_in_folders_with_apostrophe_space_and_accent(
    odd: dict, ci_warehouse: Path
) -> None:
    assert ODD_BASE in str(ci_warehouse) and ODD_DATA in str(odd["project"].data_dir)
    assert odd["built"].tests.get("fail", 0) == 0
    flights = flights_between(FED_START, FED_END)
    assert _rows(ci_warehouse, "select count(*) from marts.fct_flights") == flights
    assert _rows(ci_warehouse, "select count(*) from landing.ldg_flights__flights") == flights
    # the run was recorded (observability literals) in the same file
    assert _rows(ci_warehouse, "select count(*) from observability.invocations") >= 1


@pytest.mark.e2e
def test_sandbox_built_over_a_prod_in_such_folders(odd: dict, prod: Places) -> None:
    project = odd["project"]
    assert _rows(prod.prod, "select count(*) from marts.fct_flights") == flights_between(
        FED_START, FED_END
    )
    prod_stamp = _stamp(prod.prod)
    path = create(project, "alice")
    outcome = build_in(project, "alice", [CHANGED_MART], artifacts_dir=odd["base"] / "sbx")
    assert outcome.success and outcome.models.get("success") == 1
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("attach ? as prod (read_only)", [str(prod.prod)])
        kinds = dict(
            con.execute(
                "select table_name, 'table' from duckdb_tables()"
                " where database_name = 'alice' and schema_name = 'marts'"
                " union all select view_name, 'view' from duckdb_views()"
                " where database_name = 'alice' and schema_name = 'marts' and not internal"
            ).fetchall()
        )
        days = con.execute(f"select count(*) from marts.{CHANGED_MART}").fetchall()[0][0]
        flights = con.execute("select count(*) from marts.fct_flights").fetchall()[0][0]
    finally:
        con.close()
    assert kinds[CHANGED_MART] == "table" and kinds["fct_flights"] == "view"
    assert days == (FED_END - FED_START).days + 1
    assert flights == flights_between(FED_START, FED_END)
    assert _stamp(prod.prod) == prod_stamp


@pytest.mark.e2e
def test_ci_diffs_a_change_against_a_prod_in_such_folders(odd: dict, prod: Places) -> None:
    changed = copy_project(odd["base"] / "changed project")
    model = changed / "models" / "marts" / "performance" / f"{CHANGED_MART}.sql"
    sql = model.read_text(encoding="utf-8")
    old_line = "        performance_by_day.average_departure_delay_minutes,\n"
    assert sql.count(old_line) == 1
    model.write_text(
        sql.replace(
            old_line,
            "        round(performance_by_day.average_departure_delay_minutes)\n"
            "            as average_departure_delay_minutes,\n",
        ),
        encoding="utf-8",
    )
    outcome = run_ci(Project(changed), artifacts_dir=odd["base"] / "ci run")
    assert outcome.build.success
    (diff,) = outcome.diffs
    assert diff.name == CHANGED_MART and diff.prod_rows == diff.change_rows > 0
    assert diff.changed > 0 and set(diff.changed_columns) == {"average_departure_delay_minutes"}


@pytest.mark.e2e
def test_unpublished_log_rows_carried_over_from_such_a_folder(
    odd: dict, ci_warehouse: Path
) -> None:
    folder = odd["base"] / "cand'idate é"
    old, new = folder / "unpublished" / "prod.duckdb", folder / "prod.duckdb"
    old.parent.mkdir(parents=True)
    shutil.copyfile(ci_warehouse, old)
    with open_log(new):
        pass
    logged = _rows(old, f"select count(*) from {LOG_TABLE}")
    assert logged > 0
    assert carry_over_log(old, new) == logged
    assert _rows(new, f"select count(*) from {LOG_TABLE}") == logged


@pytest.mark.e2e
def test_report_benchmark_reads_a_warehouse_in_such_a_folder(odd: dict, ci_warehouse: Path) -> None:
    history = odd["base"] / "bench'mark é" / "history.duckdb"
    history.parent.mkdir()
    recorded, rows = synthesise(ci_warehouse, history, runs=3)
    assert recorded >= 1
    assert rows["invocations"] == 3


# ---------------------------------------------------------------------------
# sandbox names from the environment


@pytest.mark.e2e
@pytest.mark.parametrize("name", REFUSED_NAMES, ids=["parent-dev", "parent-x", "unset"])
def test_plain_dbt_refuses_a_sandbox_name_before_opening_any_file(
    odd: dict, dev: Path, name: str | None
) -> None:
    warehouse = odd["project"].warehouse_dir
    before, files = _stamp(dev), set(warehouse.rglob("*.duckdb"))
    env = dict(odd["env"])
    if name is not None:
        env["DATAOPS_SANDBOX"] = name
    artifacts = odd["base"] / "plain dbt"
    result = subprocess.run(
        [
            str(BIN / "dbt"),
            "build",
            "--target",
            "sandbox",
            "--select",
            "dim_dates",
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(artifacts / "target"),
            "--log-path",
            str(artifacts / "logs"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    if name is None:
        assert "DATAOPS_SANDBOX is not set" in output
        assert "dataops sandbox create NAME" in output
    else:
        assert f"DATAOPS_SANDBOX={name!r} cannot name a sandbox" in output
        assert "lowercase letters, digits and _" in output
    assert _stamp(dev) == before, "dev's file was written"
    assert set(warehouse.rglob("*.duckdb")) == files, "a database file was created"


@pytest.mark.e2e
def test_dataops_refuses_the_same_names_before_opening_any_file(
    odd: dict, dev: Path, tmp_path: Path
) -> None:
    warehouse = odd["project"].warehouse_dir
    before, files = _stamp(dev), set(warehouse.rglob("*.duckdb"))
    # an inbox of its own with one file waiting: ingest would log it into the target
    data = tmp_path / ODD_DATA
    day = sorted((odd["fed_inbox"] / "flights").iterdir())[0]
    (data / "inbox" / "flights").mkdir(parents=True)
    shutil.copy(day, data / "inbox" / "flights" / day.name)
    env = {**odd["env"], "DATAOPS_DATA_DIR": str(data), "DATAOPS_SANDBOX": "../dev"}
    for command in (["ingest"], ["build", "--select", "dim_dates"]):
        result = run_dataops(env, *command, "--target", "sandbox")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "DATAOPS_SANDBOX='../dev' cannot name a sandbox" in result.stderr
    unset = {key: value for key, value in env.items() if key != "DATAOPS_SANDBOX"}
    result = run_dataops(unset, "ingest", "--target", "sandbox")
    assert result.returncode == 1 and "DATAOPS_SANDBOX is not set" in result.stderr
    with pytest.raises(DataOpsError, match="cannot name a sandbox"):
        build_in(odd["project"], "../dev", ["dim_dates"])
    assert _stamp(dev) == before, "dev's file was written"
    assert (data / "inbox" / "flights" / day.name).exists(), "the file was ingested somewhere"
    assert set(warehouse.rglob("*.duckdb")) == files, "a database file was created"


# The rule's cases: `dataops sandbox create` takes these names and no other.
CREATED = {"alice", "a", "measure_zero_copy", "a" * 40, "dev", "default"}
REFUSED = [
    "a" * 41,
    "Alice",
    "1alice",
    "_alice",
    "al-ice",
    "al.ice",
    "al ice",
    "alice\n",
    "../dev",
    "../x",
    "",
    "prod",
    "candidate",
    "ci",
    "main",
    "memory",
    "system",
    "temp",
    "o'brien",
    "é",
]


def _accepted(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except DataOpsError:
        return False
    return True


def _dbt_guard_accepts(raw_output: dict) -> bool:
    """What dbt does before it opens the sandbox target: render the profile, make its plugins."""
    set_invocation_context(dict(os.environ))
    rendered = ProfileRenderer(generate_base_context({})).render_data(raw_output)
    credentials = DuckDBCredentials.from_dict(
        {key: value for key, value in rendered.items() if key not in ("type", "threads")}
    )
    try:
        Environment.initialize_plugins(credentials)
    except RuntimeError as error:
        assert "cannot name a sandbox" in str(error) or "is not set" in str(error)
        return False
    return True


def test_one_rule_for_create_plain_dbt_and_dataops(
    project_env: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = yaml.safe_load((ROOT / "profiles.yml").read_text(encoding="utf-8"))
    raw_output = raw["nycflights"]["outputs"]["sandbox"]
    for name in [*sorted(CREATED), *REFUSED]:
        created = _accepted(lambda: check_sandbox_name(name))  # noqa: B023
        assert created == (name in CREATED), name
        monkeypatch.setenv("DATAOPS_SANDBOX", name)
        by_dataops = _accepted(lambda: project_env.output("sandbox"))
        by_dbt = _dbt_guard_accepts(raw_output)
        expected = created or name == CI_SANDBOX  # `dataops ci` builds in the sandbox ci
        assert (by_dataops, by_dbt) == (expected, expected), name


# ---------------------------------------------------------------------------
# Spark

# dbt run (the models, not their tests) of the landing models of a CSV and a JSON
# source on Spark, reading the files and the log that target ci ingested.
SPARK_LANDING = """
import json
from dataops.core.dbt import run_dbt
from dataops.core.zones import spark_table_rows
from dataops.core.project import Project
project = Project.discover()
models = ["ldg_flights__flights", "ldg_weather__observations"]
command = ["run", "--select", *models, "--vars", "{ingestion_log_target: ci}"]
outcome = run_dbt(project, command, "spark", project.warehouse_dir.parent / "spark dbt")
rows = spark_table_rows(project, "spark", ["landing." + model for model in models])
print(json.dumps({"success": outcome.success, "rows": rows}))
"""


@pytest.mark.e2e
@pytest.mark.spark
def test_spark_lands_the_files_of_such_folders(odd: dict, ci_warehouse: Path) -> None:
    """The landing models on Spark (own JVM: its folders are fixed when it starts)."""
    result = subprocess.run(
        [sys.executable, "-c", SPARK_LANDING],
        env={**odd["env"], "DATAOPS_PROJECT_DIR": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["success"]
    assert summary["rows"] == {
        "landing.ldg_flights__flights": _rows(
            ci_warehouse, "select count(*) from landing.ldg_flights__flights"
        ),
        "landing.ldg_weather__observations": _rows(
            ci_warehouse, "select count(*) from landing.ldg_weather__observations"
        ),
    }
