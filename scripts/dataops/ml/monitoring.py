"""Monitoring: what the dbt Python models of the model's history run.

As days are scored (``marts.ml_delay_predictions``) with their outcomes known
(``marts.ml_delay_features`` holds the label), each build appends, for every
day scored since the last recording:

- ``observability.model_daily_performance``: the champion's accuracy that day
  (rows, delayed share, share called delayed, mean probability, ROC AUC, Brier
  score, accuracy and recall at its threshold), and whether the day lies in the
  window the champion was trained on (its own flights score better there);
- ``observability.model_feature_drift``: per feature, and for the prediction,
  the day's PSI against the champion's training set, its bound, the share of
  values outside what training saw, and the verdict (``drift.py``).

The history is appended, never rebuilt; a new champion, which scores every
flight again, records every day again. The latest recording of a day is the
current champion's: the warn tests and the report read those.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dataops.ml import drift, features, registry

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

PERFORMANCE_COLUMNS = (
    ("model_name", "varchar"),
    ("model_version", "bigint"),
    ("row_count", "bigint"),
    ("delayed_count", "bigint"),
    ("positive_rate", "double"),
    ("predicted_positive_rate", "double"),
    ("mean_probability", "double"),
    ("roc_auc", "double"),
    ("brier_score", "double"),
    ("accuracy", "double"),
    ("recall", "double"),
    ("is_in_training_window", "boolean"),
    ("flight_date", "date"),
    ("recorded_at", "timestamp"),
)
DRIFT_COLUMNS = (
    ("model_name", "varchar"),
    ("feature_name", "varchar"),
    ("model_version", "bigint"),
    ("row_count", "bigint"),
    ("psi", "double"),
    ("psi_bound", "double"),
    ("outside_range_share", "double"),
    ("is_drifted", "boolean"),
    ("is_in_training_window", "boolean"),
    ("flight_date", "date"),
    ("recorded_at", "timestamp"),
)


def _empty(session: duckdb.DuckDBPyConnection, columns: tuple) -> duckdb.DuckDBPyRelation:
    typed = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in columns)
    return session.sql(f"select {typed} where false")


def _typed(
    session: duckdb.DuckDBPyConnection, frame: pd.DataFrame, columns: tuple, view: str
) -> duckdb.DuckDBPyRelation:
    session.register(view, frame)
    typed = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in columns)
    return session.sql(f"select {typed} from {view}")


def scored_days(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
) -> pd.DataFrame:
    """Every prediction, with its flight's features and label, of the days scored since."""
    since = None
    if existing is not None:
        since = session.execute(f"select max(recorded_at) from {existing}").fetchall()[0][0]
    watermark = f"where _processed_at > timestamp '{since.isoformat(sep=' ')}'" if since else ""
    return session.sql(
        f"""
        with predictions as (select * from ({predictions.sql_query()}) as predictions),
        new_days as (
            select distinct flight_date from predictions {watermark}
        )
        select
            predictions.model_name,
            predictions.model_version,
            predictions.delay_probability,
            predictions.is_predicted_delayed,
            flights.*
        from predictions
        inner join new_days using (flight_date)
        inner join ({flights.sql_query()}) as flights using (flight_id, flight_date)
        order by flight_id
        """
    ).df()


class Champion:
    """The champion's version and its training window and drift reference, loaded once."""

    def __init__(self, warehouse_dir: Path, model_name: str, version: int) -> None:
        client = registry.client(warehouse_dir)
        found = client.get_model_version(model_name, str(version))
        run = client.get_run(found.run_id)
        self.version = version
        self.first_date = pd.Timestamp(run.data.tags["data.first_date"])
        self.last_date = pd.Timestamp(run.data.tags["data.last_date"])
        self.reference = registry.load_json_artifact(client, found.run_id, "drift_reference.json")

    def in_window(self, dates: pd.Series) -> np.ndarray:
        days = pd.to_datetime(dates)
        return ((days >= self.first_date) & (days <= self.last_date)).to_numpy()


def _version(frame: pd.DataFrame) -> int | None:
    versions = frame["model_version"].dropna().unique()
    if len(versions) != 1:
        log.warning("predictions of %d versions: monitoring records none", len(versions))
        return None
    return int(versions[0])


def daily_performance(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
    warehouse_dir: Path,
) -> duckdb.DuckDBPyRelation:
    """One row per day scored since the last recording: the champion's accuracy that day."""
    frame = scored_days(session, predictions, flights, existing)
    version = _version(frame) if not frame.empty else None
    if version is None:
        return _empty(session, PERFORMANCE_COLUMNS)
    from sklearn.metrics import roc_auc_score

    champion = Champion(warehouse_dir, str(frame["model_name"].iloc[0]), version)
    frame["label"] = features.labels(frame)
    rows = []
    for day, group in frame.groupby(features.DATE, sort=True):
        label, probability = group["label"].to_numpy(), group["delay_probability"].to_numpy()
        called = group["is_predicted_delayed"].to_numpy(dtype=bool)
        both = 0 < label.sum() < len(label)
        rows.append(
            {
                "model_name": group["model_name"].iloc[0],
                "model_version": version,
                "row_count": len(group),
                "delayed_count": int(label.sum()),
                "positive_rate": float(label.mean()),
                "predicted_positive_rate": float(called.mean()),
                "mean_probability": float(probability.mean()),
                "roc_auc": float(roc_auc_score(label, probability)) if both else None,
                "brier_score": float(np.mean((probability - label) ** 2)),
                "accuracy": float(np.mean(called == (label == 1))),
                "recall": float(called[label == 1].mean()) if label.sum() else None,
                "flight_date": day,
            }
        )
    result = pd.DataFrame(rows)
    result["is_in_training_window"] = champion.in_window(result["flight_date"])
    result["recorded_at"] = datetime.now(UTC).replace(tzinfo=None)
    return _typed(session, result, PERFORMANCE_COLUMNS, "model_daily_performance__new")


def feature_drift(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
    warehouse_dir: Path,
    max_psi: float,
    sensitivity: float,
    max_outside_share: float,
) -> duckdb.DuckDBPyRelation:
    """One row per day scored since the last recording and feature: drift against training."""
    frame = scored_days(session, predictions, flights, existing)
    version = _version(frame) if not frame.empty else None
    if version is None:
        return _empty(session, DRIFT_COLUMNS)
    name = str(frame["model_name"].iloc[0])
    champion = Champion(warehouse_dir, name, version)
    result = drift.daily_drift(
        frame,
        frame["delay_probability"].to_numpy(dtype="float64"),
        champion.reference,
        max_psi,
        sensitivity,
        max_outside_share,
    )
    result["model_name"] = name
    result["model_version"] = version
    result["is_in_training_window"] = champion.in_window(result[features.DATE])
    result["recorded_at"] = datetime.now(UTC).replace(tzinfo=None)
    return _typed(session, result, DRIFT_COLUMNS, "model_feature_drift__new")
