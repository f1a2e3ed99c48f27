"""One row per day scored since the last build and feature: its drift against training.

History (appended, never rebuilt): see dataops.ml.monitoring and dataops.ml.drift.
"""


def model(dbt, session):
    # dbt makes a Python model a table unless its code says otherwise: a history
    # is appended (the folder's incremental_strategy, full_refresh: false).
    dbt.config(materialized="incremental")
    import pathlib

    import dataops.ml.monitoring

    return dataops.ml.monitoring.feature_drift(
        session,
        dbt.ref("ml_delay_predictions"),
        dbt.ref("ml_delay_features"),
        str(dbt.this) if dbt.is_incremental else None,
        pathlib.Path(dbt.config.meta_get("mlflow_folder")),
        float(dbt.config.meta_get("drift_max_psi")),
        float(dbt.config.meta_get("drift_sensitivity")),
        float(dbt.config.meta_get("drift_max_outside_range_share")),
    )
