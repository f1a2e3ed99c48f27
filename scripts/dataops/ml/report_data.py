"""The report's Models page: the registry's versions and the model's history in observability.

Read-only: the MLflow store of the warehouse's folder (versions, aliases, the
gate's checks, fairness and importance of the champion) and the tables
``observability.model_daily_performance``, ``model_feature_drift`` and
``node_runs`` (scoring time) of the warehouse. Without a store, the page says
how to train a model.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import duckdb
import pandas as pd

from dataops.core.errors import DataOpsError
from dataops.core.project import find_project_root
from dataops.core.zones import relations_in
from dataops.ml import registry, settings

log = logging.getLogger(__name__)

SCHEMA = "observability"
SCORING_NODE = "model.nycflights.ml_delay_predictions"
# Versions whose gate checks are read from their artifacts (newest first).
VERSIONS_WITH_CHECKS = 30


def store_folder(warehouse: Path) -> Path:
    """The folder of the MLflow store: the warehouse's, or the one above (sandbox, candidate)."""
    for folder in (warehouse.parent, warehouse.parent.parent):
        if registry.exists(folder):
            return folder
    return warehouse.parent


def _settings() -> settings.MlSettings | None:
    try:
        return settings.load(find_project_root())
    except DataOpsError as error:  # not run from a checkout of the project
        log.debug("no project settings: %s", error)
        return None


def _model_name(mlflow_client: object, config: settings.MlSettings | None) -> str | None:
    if config is not None:
        return config.model_name
    found = sorted(model.name for model in mlflow_client.search_registered_models())
    return found[0] if found else None


def _artifact(mlflow_client: object, run_id: str | None, path: str) -> object:
    if not run_id:
        return None
    try:
        return registry.load_json_artifact(mlflow_client, run_id, path)
    except Exception as error:  # a run logged before the artifact existed, or removed
        log.debug("no artifact %s of run %s: %s", path, run_id, error)
        return None


def _importance(mlflow_client: object, run_id: str | None) -> list[dict]:
    if not run_id:
        return []
    import mlflow.artifacts

    try:
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/permutation_importance.csv")
    except Exception as error:
        log.debug("no importance for run %s: %s", run_id, error)
        return []
    frame = pd.read_csv(io.StringIO(text))
    return [
        {"feature": row.feature, "drop": row.roc_auc_drop_mean, "std": row.roc_auc_drop_std}
        for row in frame.itertuples()
    ]


def _registry(folder: Path, config: settings.MlSettings | None) -> dict:
    mlflow_client = registry.client(folder)
    name = _model_name(mlflow_client, config)
    if name is None:
        return {"store": str(registry.database(folder)), "versions": []}
    versions = registry.describe(mlflow_client, name)
    champion = next((v for v in versions if registry.CHAMPION in v["aliases"]), None)
    for version in versions[:VERSIONS_WITH_CHECKS]:
        version["gate"] = _artifact(mlflow_client, version["run_id"], "gate.json")
    champion_run = champion["run_id"] if champion else None
    return {
        "store": str(registry.database(folder)),
        "model_name": name,
        "champion": champion["version"] if champion else None,
        "versions": versions,
        "history": registry.history(mlflow_client, name),
        "fairness": _artifact(mlflow_client, champion_run, "fairness.json"),
        "importance": _importance(mlflow_client, champion_run),
    }


def _latest(con: duckdb.DuckDBPyConnection, table: str, key: str, columns: str) -> list[tuple]:
    return con.execute(
        f"""
        select {columns} from {SCHEMA}.{table}
        qualify row_number() over (partition by {key} order by recorded_at desc) = 1
        order by {key}
        """
    ).fetchall()


def _history(con: duckdb.DuckDBPyConnection) -> dict:
    present = relations_in(con, SCHEMA)
    result: dict = {"daily": [], "drift": [], "scoring": []}
    if "model_daily_performance" in present:
        result["daily"] = [
            {
                "day": str(row[0]),
                "version": row[1],
                "rows": row[2],
                "positive_rate": row[3],
                "predicted_positive_rate": row[4],
                "roc_auc": row[5],
                "brier_score": row[6],
                "in_training_window": row[7],
            }
            for row in _latest(
                con,
                "model_daily_performance",
                "flight_date",
                "flight_date, model_version, row_count, positive_rate,"
                " predicted_positive_rate, roc_auc, brier_score, is_in_training_window",
            )
        ]
    if "model_feature_drift" in present:
        result["drift"] = [
            {
                "day": str(row[0]),
                "feature": row[1],
                "psi": row[2],
                "bound": row[3],
                "outside": row[4],
                "drifted": row[5],
                "in_training_window": row[6],
            }
            for row in _latest(
                con,
                "model_feature_drift",
                "flight_date, feature_name",
                "flight_date, feature_name, psi, psi_bound, outside_range_share, is_drifted,"
                " is_in_training_window",
            )
        ]
    if "node_runs" in present:
        result["scoring"] = [
            {"started_at": row[0].isoformat(timespec="seconds"), "seconds": row[1], "rows": row[2]}
            for row in con.execute(
                f"""
                select started_at, duration_seconds, rows_affected from {SCHEMA}.node_runs
                where unique_id = ? and status = 'success' and started_at is not null
                order by started_at
                """,
                [SCORING_NODE],
            ).fetchall()
        ]
    return result


def collect(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict:
    """Everything the Models page shows."""
    folder = store_folder(warehouse)
    config = _settings()
    payload: dict = {"store": str(registry.database(folder)), "versions": [], **_history(con)}
    if registry.exists(folder):
        payload |= _registry(folder, config)
    payload["bounds"] = (
        {
            "min_roc_auc": config.monitor_min_roc_auc,
            "gate_min_roc_auc": config.gate_min_roc_auc,
            "max_recall_gap": config.gate_max_recall_gap,
            "max_false_positive_rate_gap": config.gate_max_false_positive_rate_gap,
            "max_outside_range_share": config.drift_max_outside_range_share,
        }
        if config
        else {}
    )
    return json.loads(json.dumps(payload, default=str))
