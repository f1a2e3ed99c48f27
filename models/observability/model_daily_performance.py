"""One row per day scored since the last build: the champion model's accuracy that day.

History (appended, never rebuilt): see dataops.ml.monitoring.
"""


def model(dbt, session):
    # dbt makes a Python model a table unless its code says otherwise: a history
    # is appended (the folder's incremental_strategy, full_refresh: false).
    dbt.config(materialized="incremental")
    import pathlib

    import dataops.ml.monitoring

    return dataops.ml.monitoring.daily_performance(
        session,
        dbt.ref("ml_delay_predictions"),
        dbt.ref("ml_delay_features"),
        str(dbt.this) if dbt.is_incremental else None,
        pathlib.Path(dbt.config.meta_get("mlflow_folder")),
    )
