"""Notebooks on a sandbox: what ``notebooks/*.py`` read, and how one is opened.

A notebook works on one sandbox (``dataops sandbox create NAME``), named by
DATAOPS_SANDBOX as for the dbt target ``sandbox``. ``query`` reads prod's rows
through the sandbox (prod attached read-only as ``prod``, as the sandbox's views
expect) and ``write`` keeps a trial table in the sandbox's own file; each opens the
file for one statement and closes it, so that a ``dbt build --target sandbox`` run
beside the notebook is never refused, and prod is never written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

from dataops.core.errors import DataOpsError
from dataops.core.project import SANDBOX_VARIABLE, Project, check_sandbox_name
from dataops.delivery.publish import Places
from dataops.delivery.sandbox import attach_read_only, quote_identifier, sandbox_path

FOLDER = "notebooks"
PORT = 2719


def sandbox_name() -> str:
    """The sandbox of DATAOPS_SANDBOX, checked by the sandbox target's rule."""
    name = os.environ.get(SANDBOX_VARIABLE, "")
    check_sandbox_name(name, variable=SANDBOX_VARIABLE)
    return name


def sandbox_file(project: Project, name: str) -> Path:
    path = sandbox_path(project, name)
    if not path.exists():
        raise DataOpsError(f"no sandbox {name} ({path})", f"dataops sandbox create {name}")
    return path


def connect(project: Project, name: str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """The sandbox's file with prod attached read-only; close it when done."""
    path = sandbox_file(project, name)
    con = duckdb.connect(str(path), read_only=read_only, config={"threads": 1})
    try:
        attach_read_only(con, Places.of(project).prod, "prod")
    except duckdb.Error:
        con.close()
        raise
    return con


def query(project: Project, name: str, sql: str, parameters: list | None = None) -> pd.DataFrame:
    """One query on the sandbox (prod's rows through its views), the file closed after."""
    con = connect(project, name)
    try:
        return con.execute(sql, parameters or []).df()
    finally:
        con.close()


def write(project: Project, name: str, frame: pd.DataFrame, table: str) -> int:
    """Keep ``frame`` as ``scratch.<table>`` in the sandbox's own file; returns its rows."""
    con = connect(project, name, read_only=False)
    try:
        con.register("frame_to_write", frame)
        con.execute("create schema if not exists scratch")
        con.execute(
            f"create or replace table scratch.{quote_identifier(table)} as"
            " select * from frame_to_write"
        )
        return len(frame)
    finally:
        con.close()


def notebook_path(project: Project, notebook: str) -> Path:
    """``notebooks/<notebook>.py``; the name alone, or the file's path."""
    path = project.root / FOLDER / f"{Path(notebook).stem}.py"
    if not path.is_file():
        found = ", ".join(sorted(p.stem for p in (project.root / FOLDER).glob("*.py")))
        raise DataOpsError(f"no notebook {notebook} in {FOLDER}/", f"choose one of: {found}")
    return path


def command(path: Path, headless: bool, port: int = PORT) -> list[str]:
    """``marimo edit`` on 127.0.0.1 (no update check), or the notebook run as a script."""
    if headless:
        return [sys.executable, str(path)]
    marimo = Path(sys.executable).with_name("marimo")
    return [
        str(marimo),
        "edit",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--headless",
        "--no-token",
        "--skip-update-check",
    ]


def environment(project: Project, name: str) -> dict[str, str]:
    """The notebook's environment: the sandbox, the project's folders, nothing sent out."""
    return {
        **os.environ,
        SANDBOX_VARIABLE: name,
        "DATAOPS_PROJECT_DIR": str(project.root),
        "DATAOPS_DATA_DIR": str(project.data_dir),
        "DATAOPS_WAREHOUSE_DIR": str(project.warehouse_dir),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "DO_NOT_TRACK": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def ask(
    project: Project,
    name: str,
    metrics: list[str] | None = None,
    group_by: list[str] | None = None,
    saved_query: str | None = None,
    where: list[str] | None = None,
    scratch: Path | None = None,
) -> pd.DataFrame:
    """A question to the semantic layer (MetricFlow's Python API) on the sandbox.

    ``dbt parse`` on the target ``sandbox`` writes the semantic manifest (into
    ``scratch``, a temporary folder by default); MetricFlow then queries through the
    dbt adapter of that target, which is released before returning.
    """
    import json
    import tempfile

    from dbt.adapters.factory import get_adapter_by_type
    from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import AdapterBackedSqlClient
    from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata
    from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    from dataops.core.dbt import _release_duckdb, dbt_environment, run_dbt

    sandbox_file(project, name)
    folder = scratch or Path(tempfile.mkdtemp(prefix="dataops-semantic-"))
    environment = {SANDBOX_VARIABLE: name, "DBT_LOG_PATH": str(folder / "logs")}
    outcome = run_dbt(project, ["parse"], "sandbox", artifacts_dir=folder, env=environment)
    if not outcome.success:
        raise DataOpsError("dbt parse failed on the sandbox target", "read dbt's output above")
    semantic = json.loads((folder / "target" / "semantic_manifest.json").read_text("utf-8"))
    environment["DBT_TARGET_PATH"] = str(folder / "target")
    try:
        with dbt_environment(project, "sandbox", environment):
            metadata = dbtProjectMetadata.load_from_paths(
                profiles_path=project.root, project_path=project.root
            )
            client = AdapterBackedSqlClient(get_adapter_by_type(metadata.profile.credentials.type))
            lookup = SemanticManifestLookup(
                parse_manifest_from_dbt_generated_manifest(json.dumps(semantic))
            )
            request = (
                MetricFlowQueryRequest.create(saved_query_name=saved_query)
                if saved_query
                else MetricFlowQueryRequest.create(
                    metric_names=metrics, group_by_names=group_by, where_constraints=where
                )
            )
            table = MetricFlowEngine(lookup, client).query(request).result_df
    finally:
        _release_duckdb()
    names = [column.lower() for column in table.column_names]
    return pd.DataFrame([list(row) for row in table.rows], columns=names)
