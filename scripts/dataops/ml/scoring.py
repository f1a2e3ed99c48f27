"""Scoring: what the dbt Python model ``marts.ml_delay_predictions`` runs.

One row per flight of ``marts.ml_delay_features``: the champion's probability of an
arrival more than 15 minutes late, its decision at the champion's threshold and
the version that scored it. Incremental: while the champion stays the same, only
the flights whose features changed since the last scoring are scored (and the
flights that left the features are deleted); a new champion, or a rollback,
scores every flight again. With no champion yet the table stays as it is (empty
on the first build), typed, with a warning that says what to do: the rest of the
build is unaffected.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dataops.ml import features, registry

if TYPE_CHECKING:
    import duckdb

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
SCORED_VIEW = "ml_delay_predictions__scored"


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
) -> duckdb.DuckDBPyRelation:
    """The new or changed rows of the predictions (all of them for a new champion).

    ``flights`` is ``ml_delay_features``; ``existing`` the predictions table when
    the build is incremental, else None.
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
    frame = rows.df()
    if frame.empty:
        return empty(session)
    pipeline = registry.load_model(champion)
    columns = tuple(str(column) for column in pipeline.feature_names_in_)
    frame["delay_probability"] = pipeline.predict_proba(features.feature_frame(frame, columns))[
        :, 1
    ]
    scored = frame[[features.KEY, features.DATE, "delay_probability"]]
    session.register(SCORED_VIEW, scored)
    processed_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return session.sql(
        f"""
        select
            cast(flight_id as varchar) as flight_id,
            cast('{model_name.replace("'", "''")}' as varchar) as model_name,
            cast({version} as bigint) as model_version,
            cast(delay_probability as double) as delay_probability,
            cast({threshold!r} as double) as decision_threshold,
            delay_probability >= {threshold!r} as is_predicted_delayed,
            cast({features.DATE} as date) as flight_date,
            timestamp '{processed_at}' as _processed_at
        from {SCORED_VIEW}
        """
    )
