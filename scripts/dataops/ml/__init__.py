"""The analysis backbone: train, gate, register, score and monitor the arrival-delay model.

    marts.ml_delay_train / ml_delay_validation --train--> MLflow run (metrics, fairness,
        fingerprint) --gate--> registry alias "champion" --score (dbt)-->
        marts.ml_delay_predictions --monitor (dbt)--> observability.model_daily_performance,
        observability.model_feature_drift

Modules: ``settings`` (the gate, drift and monitoring settings of ``dbt_project.yml``),
``features`` (what the model may read, the data it is trained on, its fingerprint),
``train`` (the classifier and its baseline, fitted and evaluated), ``fairness`` (metrics
per airline and per New York origin), ``drift`` (the training set's reference and the
population stability index), ``gate`` (whether a version may become the champion),
``registry`` (the MLflow store: runs, versions, aliases), ``scoring`` and ``monitoring``
(called by the dbt Python models) and ``report_data`` (the report's Models page). Its
benchmark is ``dataops.bench.models``.
May import: ``dataops.core`` and ``dataops.catalog`` (the column lineage that keeps
leakage out of the features); not the benchmarks nor the generator.

MLflow runs offline here: its telemetry is switched off before it is imported, and so is
its progress bar for artifacts (a model loaded by the scoring would print one per load
into dbt's output). The
gradient-boosted trees run on OpenMP threads; on a machine whose cores are shared,
threads that spin while they wait for each other made a fit up to ten times slower
(4 s alone, 60 s beside other jobs, on the real year), so they wait passively unless
``OMP_WAIT_POLICY`` says otherwise.
"""

from __future__ import annotations

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
