"""Scoring: what the dbt Python model ``marts.ml_delay_predictions`` runs.

One row per flight of ``marts.ml_delay_features``: the champion's probability of an
arrival more than 15 minutes late, its decision at the champion's threshold and
the version that scored it. Incremental: while the champion stays the same, only
the flights whose features changed since the last scoring are scored (and the
flights that left the features are deleted); a new champion, or a rollback,
scores every flight again. With no champion yet the table stays as it is (empty
on the first build), typed, with a warning that says what to do: the rest of the
build is unaffected.

The flights are read and scored in batches of ``BATCH_ROWS``: the model returns
an Arrow reader that dbt-duckdb writes into the table while it reads it, so the
memory of a first scoring does not grow with the number of flights.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dataops.core.errors import DataOpsError
from dataops.ml import features, registry

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

log = logging.getLogger(__name__)

MODEL = "ml_delay_predictions"
# The table's columns and types (models/marts/ml/ml_delay_predictions.yml declares the same).
COLUMNS = (
    ("flight_id", "varchar"),
    ("model_name", "varchar"),
    ("model_version", "bigint"),
    ("delay_probability", "double"),
    ("decision_threshold", "double"),
    ("is_predicted_delayed", "boolean"),
    ("flight_date", "date"),
    ("_processed_at", "timestamp"),
)
# Flights scored at a time: a first scoring of a ten-times year (3.3 million flights)
# stays within the memory of a few batches instead of the whole table's.
BATCH_ROWS = 200_000


@dataclass(frozen=True)
class Scorer:
    """What every scored row carries besides its probability."""

    model_name: str
    version: int
    threshold: float
    processed_at: datetime


def _warn(message: str) -> None:
    """A warning in dbt's own output (the model runs inside dbt)."""
    try:
        from dbt.adapters.events.logging import AdapterLogger

        AdapterLogger(MODEL).warning(message)
    except ImportError:  # outside dbt
        log.warning("%s", message)


def empty(session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """No rows, every column typed."""
    columns = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in COLUMNS)
    return session.sql(f"select {columns} where false")


def score(
    session: duckdb.DuckDBPyConnection,
    flights: duckdb.DuckDBPyRelation,
    existing: str | None,
    warehouse_dir: Path,
    model_name: str,
    batch_rows: int = BATCH_ROWS,
) -> duckdb.DuckDBPyRelation | pa.RecordBatchReader:
    """The new or changed rows of the predictions (all of them for a new champion).

    ``flights`` is ``ml_delay_features``; ``existing`` the predictions table when
    the build is incremental, else None. The rows come as a reader that scores
    ``batch_rows`` flights at a time (``predicted``); with nothing to score, or no
    champion, as an empty relation.
    """
    champion = registry.champion(warehouse_dir, model_name)
    if champion is None:
        _warn(
            f"no champion model {model_name} in {registry.database(warehouse_dir)}:"
            f" {MODEL} scores nothing (run dataops train, then"
            f" dbt build -s {MODEL}+)"
        )
        return empty(session)
    version = int(champion.version)
    threshold = float(champion.tags[registry.TAG_THRESHOLD])
    rows = flights
    if existing is not None:
        flights_sql = flights.sql_query()
        stored = session.execute(
            f"select model_version, max(_processed_at) from {existing} group by model_version"
        ).fetchall()
        # flights no longer in the features (cancelled, diverted, rejected since) leave
        session.execute(
            f"delete from {existing} where flight_id not in"
            f" (select flight_id from ({flights_sql}) as current_flights)"
        )
        if len(stored) == 1 and stored[0][0] == version and stored[0][1] is not None:
            since = stored[0][1].isoformat(sep=" ")
            rows = session.sql(
                f"select * from ({flights_sql}) as flights"
                f" where _processed_at > timestamp '{since}'"
            )
        else:
            log.info("%s: champion v%s scores every flight", MODEL, version)
    if not rows.limit(1).fetchall():
        return empty(session)
    pipeline = registry.load_model(champion)
    return predicted(rows, pipeline, Scorer(model_name, version, threshold, _now()), batch_rows)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def schema() -> pa.Schema:
    """The table's columns (``COLUMNS``) as Arrow types."""
    import pyarrow as pa

    kinds = {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    return pa.schema([(name, kinds[kind]) for name, kind in COLUMNS])


def predicted(
    rows: duckdb.DuckDBPyRelation, pipeline, scorer: Scorer, batch_rows: int = BATCH_ROWS
) -> pa.RecordBatchReader:
    """The predictions of ``rows``, computed batch by batch as dbt-duckdb reads them.

    dbt-duckdb writes a returned reader into the table from a cursor of its own
    while this reads the features from the model's session: at most ``batch_rows``
    flights are in memory at a time, whatever the size of the features.
    """
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(schema(), _batches(rows, pipeline, scorer, batch_rows))


def _batches(
    rows: duckdb.DuckDBPyRelation, pipeline, scorer: Scorer, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if batch_rows < 1:
        raise DataOpsError(
            f"{MODEL}: batches of {batch_rows} rows", "score in batches of one row or more"
        )
    columns = tuple(str(column) for column in pipeline.feature_names_in_)
    read = rows.project(", ".join(f'"{name}"' for name in (features.KEY, features.DATE, *columns)))
    target = schema()
    flights = batches = 0
    with read.to_arrow_reader(batch_rows) as reader:
        for batch in reader:
            if batch.num_rows == 0:
                continue
            probability = pipeline.predict_proba(
                features.feature_frame(batch.to_pandas(), columns)
            )[:, 1].astype("float64")
            count = batch.num_rows
            yield pa.RecordBatch.from_arrays(
                [
                    pc.cast(batch.column(features.KEY), pa.string()),
                    pa.repeat(pa.scalar(scorer.model_name, pa.string()), count),
                    pa.repeat(pa.scalar(scorer.version, pa.int64()), count),
                    pa.array(probability, pa.float64()),
                    pa.repeat(pa.scalar(scorer.threshold, pa.float64()), count),
                    pa.array(probability >= scorer.threshold, pa.bool_()),
                    pc.cast(batch.column(features.DATE), pa.date32()),
                    pa.repeat(pa.scalar(scorer.processed_at, pa.timestamp("us")), count),
                ],
                schema=target,
            )
            flights += count
            batches += 1
    log.info("%s: v%s scored %d flights in %d batches", MODEL, scorer.version, flights, batches)
