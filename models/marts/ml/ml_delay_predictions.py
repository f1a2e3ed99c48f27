"""One row per flight of ml_delay_features: the champion model's probability and decision.

The champion is the version of the registered model (var ml_model_name) that
holds the MLflow alias "champion" in the warehouse folder's store
(<warehouse>/mlflow.db), set by `dataops train` when a version passes the gate.
Incremental: the flights whose features changed since the last scoring are
scored; a new champion scores every flight again (dataops.ml.scoring).
"""


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="flight_id",
        incremental_strategy="delete+insert",
        on_schema_change="fail",
    )
    import pathlib

    import dataops.ml.scoring

    flights = dbt.ref("ml_delay_features")
    existing = str(dbt.this) if dbt.is_incremental else None
    return dataops.ml.scoring.score(
        session,
        flights,
        existing,
        pathlib.Path(dbt.config.meta_get("mlflow_folder")),
        dbt.config.meta_get("model_name"),
    )
