"""What the model reads: its features, the marts it is trained on, and their fingerprint.

The features are only what is known before departure: the schedule, the
route, the aircraft and the weather observed at the origin in the scheduled
hour (``marts.ml_delay_features``). ``FEATURES`` lists them; ``check_features``
refuses any name that is an outcome of the flight (a delay, an actual time,
the air time, a cancellation), and ``tests/ml/test_ml_leakage.py`` traces every
feature's column lineage down the project to prove that none is computed from
an outcome either.

The marts are read from the target's DuckDB file opened read-only, ordered by
the flight key, so that the same data gives the same frame (and the same model).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from dataops.core.errors import DataOpsError

if TYPE_CHECKING:  # the lineage (sqlglot) only for the leakage test: scoring starts without it
    from dataops.catalog.lineage import ColumnLineage

log = logging.getLogger(__name__)

KEY = "flight_id"
LABEL = "is_arrival_delayed"
DATE = "flight_date"
TRAIN_RELATION = "marts.ml_delay_train"
VALIDATION_RELATION = "marts.ml_delay_validation"
FEATURES_RELATION = "marts.ml_delay_features"
FEATURES_MODEL = "model.nycflights.ml_delay_features"

# Categories (codes), encoded by the model itself.
CATEGORICAL = ("airline_id", "origin_airport_id", "destination_airport_id")
# Numbers and flags (a flag is 0 or 1); empty values stay empty (NaN), the
# gradient-boosted trees learn where they go.
NUMERIC = (
    "distance_miles",
    "scheduled_departure_hour_local",
    "month_number",
    "day_of_week_number",
    "seat_count",
    "engine_count",
    "plane_age_years",
    "origin_temperature_fahrenheit",
    "origin_wind_speed_mph",
    "origin_visibility_miles",
    "origin_precipitation_inches",
    "is_weekend",
)
FEATURES = CATEGORICAL + NUMERIC
# The groups fairness is measured over (fairness.py).
SENSITIVE = ("airline_id", "origin_airport_id")

# Outcomes of a flight, as the project names them (fct_flights): known only once it
# flew. A feature named like one of these is refused.
OUTCOME_COLUMNS = frozenset(
    {
        "departure_delay_minutes",
        "arrival_delay_minutes",
        "air_time_minutes",
        "departed_at",
        "departed_at_local",
        "arrived_at",
        "arrived_at_local",
        "is_cancelled",
        "is_diverted",
        "is_arrival_delayed",
    }
)
OUTCOME_PATTERN = re.compile(
    r"delay|departed|arrived|air_time|cancel|divert|actual|taxi|wheels", re.IGNORECASE
)


# The columns of the flights files that are outcomes (the source's names).
OUTCOME_SOURCE_COLUMNS = frozenset({"dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"})


def is_outcome(column: str) -> bool:
    """True for a column, of a model or of the flights files, that is known only once it flew."""
    return (
        column in OUTCOME_COLUMNS
        or column in OUTCOME_SOURCE_COLUMNS
        or bool(OUTCOME_PATTERN.search(column))
    )


def outcome_ancestors(traced: ColumnLineage, model: str = FEATURES_MODEL) -> dict[str, set]:
    """Per column of ``model``, the outcome columns it is computed from (column lineage).

    The label is one by design and is left out; any other column found here leaks.
    """
    leaks: dict[str, set] = {}
    for column in traced.columns.get(model, []):
        if column == LABEL:
            continue
        found = {key for key in traced.ancestors((model, column)) if is_outcome(key[1])}
        if found:
            leaks[column] = found
    return leaks


def check_features(names: tuple[str, ...] | None = None) -> None:
    """Refuse features that are outcomes of the flight (leakage): raises DataOpsError."""
    leaking = sorted(name for name in (FEATURES if names is None else names) if is_outcome(name))
    if leaking:
        raise DataOpsError(
            f"the model's features include outcomes of the flight: {', '.join(leaking)}",
            "train only on what is known before departure (dataops/ml/features.py FEATURES)",
        )


@dataclass(frozen=True)
class Fingerprint:
    """Which data a model saw: rows, the hash of the sorted keys, and the build they came from."""

    train_rows: int
    validation_rows: int
    train_keys_sha256: str
    validation_keys_sha256: str
    first_date: str
    last_date: str
    positive_rate: float
    dbt_invocation_id: str | None
    dbt_invocation_at: str | None
    published_at: str | None

    def as_tags(self) -> dict[str, str]:
        return {f"data.{name}": str(value) for name, value in asdict(self).items()}

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class Splits:
    """The frames the trainer reads, each ordered by flight key."""

    train: pd.DataFrame
    validation: pd.DataFrame
    fingerprint: Fingerprint


def keys_sha256(keys: pd.Series) -> str:
    """SHA-256 of the sorted keys, one per line."""
    digest = hashlib.sha256()
    for key in sorted(keys.astype(str)):
        digest.update(key.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def feature_frame(frame: pd.DataFrame, names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The model's input: categories as text (empty as None), numbers and flags as floats."""
    names = FEATURES if names is None else names
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise DataOpsError(
            f"the features lack column(s) {', '.join(missing)}",
            "rebuild the ML marts (dbt build -s ml_delay_features+) or fix FEATURES",
        )
    columns = {}
    for name in names:
        if name in CATEGORICAL:
            values = frame[name].astype(object)
            columns[name] = values.where(values.notna(), None)
        else:
            columns[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return pd.DataFrame(columns, index=frame.index)


def labels(frame: pd.DataFrame) -> np.ndarray:
    return frame[LABEL].astype(bool).to_numpy().astype(np.int64)


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise DataOpsError(
            f"no warehouse at {warehouse}", "run dataops ingest and dataops build first"
        )
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        raise DataOpsError(
            f"cannot open {warehouse} read-only: {error}",
            "a build or ingest is writing it: run dataops train once it has finished",
        ) from error


def _read(con: duckdb.DuckDBPyConnection, relation: str, warehouse: Path) -> pd.DataFrame:
    try:
        return con.execute(f"select * from {relation} order by {KEY}").df()
    except duckdb.CatalogException as error:
        raise DataOpsError(
            f"{warehouse} has no {relation}", "run dataops build on this target first"
        ) from error


def _source_invocation(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """The dbt invocation that last built the features, from the observability history."""
    try:
        rows = con.execute(
            """
            select runs.invocation_id, runs.started_at
            from observability.node_runs as runs
            where runs.unique_id = ? and runs.status = 'success'
            order by runs.started_at desc
            limit 1
            """,
            [FEATURES_MODEL],
        ).fetchall()
    except duckdb.CatalogException:
        return None, None
    if not rows:
        return None, None
    invocation_id, started = rows[0]
    return str(invocation_id), started.isoformat(timespec="seconds") if started else None


def _published_at(warehouse: Path) -> str | None:
    """When prod was published (``prod-artifacts/publish.json``), for a prod warehouse."""
    record = warehouse.parent / "prod-artifacts" / "publish.json"
    if warehouse.name != "prod.duckdb" or not record.is_file():
        return None
    try:
        return str(json.loads(record.read_text(encoding="utf-8")).get("published_at"))
    except (OSError, json.JSONDecodeError):
        return None


def load_splits(warehouse: Path) -> Splits:
    """The train and validation marts of a warehouse (read-only) and their fingerprint."""
    con = connect_read_only(warehouse)
    try:
        train = _read(con, TRAIN_RELATION, warehouse)
        validation = _read(con, VALIDATION_RELATION, warehouse)
        invocation_id, invocation_at = _source_invocation(con)
    finally:
        con.close()
    for name, frame in (("ml_delay_train", train), ("ml_delay_validation", validation)):
        if frame.empty:
            raise DataOpsError(
                f"marts.{name} of {warehouse} is empty: nothing to train on",
                "feed, ingest and build some days first (dataops feed --start ...)",
            )
        if frame[LABEL].nunique() < 2:
            raise DataOpsError(
                f"marts.{name} of {warehouse} holds one label only", "feed and build more days"
            )
    dates = pd.concat([train[DATE], validation[DATE]])
    fingerprint = Fingerprint(
        train_rows=len(train),
        validation_rows=len(validation),
        train_keys_sha256=keys_sha256(train[KEY]),
        validation_keys_sha256=keys_sha256(validation[KEY]),
        first_date=str(pd.Timestamp(dates.min()).date()),
        last_date=str(pd.Timestamp(dates.max()).date()),
        positive_rate=round(float(train[LABEL].astype(bool).mean()), 6),
        dbt_invocation_id=invocation_id,
        dbt_invocation_at=invocation_at,
        published_at=_published_at(warehouse),
    )
    log.debug("fingerprint: %s", fingerprint)
    return Splits(train, validation, fingerprint)
