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
from collections.abc import Iterator
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


# Flights read at a time: whole days (a day is never split), about this many rows, so
# that recording every day of a ten-times year again (a new champion) stays bounded.
CHUNK_ROWS = 200_000


def _scored_sql(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    existing: str | None,
) -> str:
    """The predictions of the days scored since the last recording (``scored``)."""
    since = None
    if existing is not None:
        since = session.execute(f"select max(recorded_at) from {existing}").fetchall()[0][0]
    watermark = f"where _processed_at > timestamp '{since.isoformat(sep=' ')}'" if since else ""
    return f"""
        with predictions as (select * from ({predictions.sql_query()}) as predictions),
        new_days as (
            select distinct flight_date from predictions {watermark}
        ),
        scored as (
            select predictions.* from predictions inner join new_days using (flight_date)
        )
    """


def day_chunks(days: list[tuple], chunk_rows: int = CHUNK_ROWS) -> list[tuple]:
    """``(first, last)`` day of consecutive runs of whole days of at most ``chunk_rows``.

    ``days`` are ``(day, rows)`` in order; a day of more rows is a chunk of its own.
    """
    chunks: list[tuple] = []
    first = last = None
    rows = 0
    for day, count in days:
        if first is not None and rows + count > chunk_rows:
            chunks.append((first, last))
            first, rows = None, 0
        first = day if first is None else first
        last, rows = day, rows + count
    if first is not None:
        chunks.append((first, last))
    return chunks


def scored_days(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
    chunk_rows: int | None = None,
) -> tuple[int | None, Iterator[pd.DataFrame]]:
    """The version that scored the days since, and their predictions with features and label.

    The frames come a run of whole days at a time (``day_chunks``); the version is
    None (and no frame comes) when nothing was scored since, or when more than one
    version scored those days. ``chunk_rows``: ``CHUNK_ROWS`` unless given.
    """
    scored = _scored_sql(session, predictions, existing)
    days = session.execute(
        f"{scored} select flight_date, count(*) from scored group by all order by flight_date"
    ).fetchall()
    versions = session.execute(f"{scored} select distinct model_version from scored").fetchall()
    if not days:
        return None, iter(())
    if len(versions) != 1 or versions[0][0] is None:
        log.warning("predictions of %d versions: monitoring records none", len(versions))
        return None, iter(())

    def frames() -> Iterator[pd.DataFrame]:
        for first, last in day_chunks(days, chunk_rows or CHUNK_ROWS):
            yield session.execute(
                f"""
                {scored}
                select
                    scored.model_name,
                    scored.model_version,
                    scored.delay_probability,
                    scored.is_predicted_delayed,
                    flights.*
                from scored
                inner join ({flights.sql_query()}) as flights using (flight_id, flight_date)
                where scored.flight_date between ? and ?
                order by flight_id
                """,
                [first, last],
            ).df()

    return int(versions[0][0]), frames()


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


def daily_performance(
    session: duckdb.DuckDBPyConnection,
    predictions: duckdb.DuckDBPyRelation,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
    warehouse_dir: Path,
) -> duckdb.DuckDBPyRelation:
    """One row per day scored since the last recording: the champion's accuracy that day."""
    version, frames = scored_days(session, predictions, flights, existing)
    if version is None:
        return _empty(session, PERFORMANCE_COLUMNS)
    from sklearn.metrics import roc_auc_score

    rows = []
    champion = None
    for frame in frames:
        if frame.empty:
            continue
        champion = champion or Champion(warehouse_dir, str(frame["model_name"].iloc[0]), version)
        rows.extend(_day_performance(frame, version, roc_auc_score))
    if champion is None:
        return _empty(session, PERFORMANCE_COLUMNS)
    result = pd.DataFrame(rows)
    result["is_in_training_window"] = champion.in_window(result["flight_date"])
    result["recorded_at"] = datetime.now(UTC).replace(tzinfo=None)
    return _typed(session, result, PERFORMANCE_COLUMNS, "model_daily_performance__new")


def _day_performance(frame: pd.DataFrame, version: int, roc_auc_score) -> list[dict]:
    """The accuracy of each day of ``frame`` (whole days)."""
    frame = frame.assign(label=features.labels(frame))
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
    return rows


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
    version, frames = scored_days(session, predictions, flights, existing)
    if version is None:
        return _empty(session, DRIFT_COLUMNS)
    parts = []
    champion = None
    for frame in frames:
        if frame.empty:
            continue
        name = str(frame["model_name"].iloc[0])
        champion = champion or Champion(warehouse_dir, name, version)
        parts.append(
            drift.daily_drift(
                frame,
                frame["delay_probability"].to_numpy(dtype="float64"),
                champion.reference,
                max_psi,
                sensitivity,
                max_outside_share,
            )
        )
    if champion is None:
        return _empty(session, DRIFT_COLUMNS)
    result = pd.concat(parts, ignore_index=True)
    result["model_name"] = name
    result["model_version"] = version
    result["is_in_training_window"] = champion.in_window(result[features.DATE])
    result["recorded_at"] = datetime.now(UTC).replace(tzinfo=None)
    return _typed(session, result, DRIFT_COLUMNS, "model_feature_drift__new")
