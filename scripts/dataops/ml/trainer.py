"""``dataops train``: read the marts, fit, evaluate, log to MLflow, register, gate, promote.

Every training is logged and registered, whether or not it passes the gate;
only a version that passes becomes the champion. The alias changes under a
lock (one writer of the registry at a time), after the current champion has
been scored on the same validation flights as the new version.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataops.catalog import glossary
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.ml import drift, fairness, features, gate, registry, settings, train

log = logging.getLogger(__name__)

# The model is saved with skops (MLflow's default: no pickle, no code run on load),
# which refuses every type it cannot vouch for. These three are the gradient-boosted
# trees' own (their tree arrays, and the check their preprocessor applies); they are
# trusted for the models this project writes, and for no other file.
SKOPS_TRUSTED_TYPES = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "functools.partial",
    "sklearn.utils.validation.check_array",
)

# The fingerprint's fields every logged dataset carries besides its rows and keys' hash.
DATASET_TAGS_SHARED = ("first_date", "last_date", "dbt_invocation_id", "published_at")
STEPS = (
    "reading the train and validation marts",
    "fitting the baseline",
    "fitting the model",
    "permutation importance",
    "fairness per airline and origin",
    "drift reference of the training set",
    "scoring the champion on the same flights",
    "logging the run and registering the version",
)
# The run's artifact naming the glossary term of each feature and of the label.
GLOSSARY_ARTIFACT = "glossary_terms.json"


@dataclass
class TrainingOutcome:
    """What ``dataops train`` did: the version, its metrics, the gate's decision."""

    model_name: str
    version: str
    run_id: str
    target: str
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    fairness: fairness.Fairness
    importance: pd.DataFrame
    decision: gate.Decision
    champion_before: gate.ChampionScore | None
    fingerprint: features.Fingerprint
    seconds: dict[str, float]
    tracking_uri: str

    @property
    def promoted(self) -> bool:
        return self.decision.promoted


def _champion_score(
    mlflow_client: Any, name: str, validation: pd.DataFrame
) -> gate.ChampionScore | None:
    """The champion's ROC AUC on these validation flights (or as logged, if it cannot score)."""
    from mlflow.exceptions import MlflowException
    from sklearn.metrics import roc_auc_score

    current = registry.version_by_alias(mlflow_client, name, registry.CHAMPION)
    if current is None:
        return None
    try:
        pipeline = registry.load_model(current)
        columns = tuple(str(column) for column in pipeline.feature_names_in_)
        frame = features.feature_frame(validation, columns)
        probability = pipeline.predict_proba(frame)[:, 1]
        score = float(roc_auc_score(features.labels(validation), probability))
        return gate.ChampionScore(str(current.version), score, rescored=True)
    except (DataOpsError, MlflowException, AttributeError, ValueError, OSError) as error:
        logged = current.tags.get(registry.TAG_ROC_AUC)
        if logged is None:
            raise DataOpsError(
                f"the champion v{current.version} of {name} cannot score the validation flights"
                f" ({error}) and has no logged ROC AUC",
                "roll it back (dataops model rollback) or remove its alias in the MLflow UI",
            ) from error
        log.warning("champion v%s cannot score these flights: %s", current.version, error)
        return gate.ChampionScore(str(current.version), float(logged), rescored=False)


def _metrics(trained: train.Trained, fair: fairness.Fairness) -> dict[str, float]:
    metrics = {f"validation_{key}": value for key, value in trained.model.metrics.items()}
    metrics |= {f"baseline_validation_{k}": v for k, v in trained.baseline.metrics.items()}
    for gap in fair.gaps:
        metrics[f"fairness_{gap.metric}_gap_{gap.column}"] = gap.gap
    for metric in fairness.GAP_METRICS:
        metrics[f"fairness_largest_{metric}_gap"] = fair.largest(metric).gap
    return metrics


def _write_artifacts(
    folder: Path,
    trained: train.Trained,
    fair: fairness.Fairness,
    reference: dict,
    decision: gate.Decision,
    fingerprint: features.Fingerprint,
) -> None:
    (folder / "fairness.json").write_text(json.dumps(fair.as_dict(), indent=2), encoding="utf-8")
    for column, frame in fair.by_group.items():
        frame.to_csv(folder / f"fairness_by_{column}.csv")
    trained.importance.to_csv(folder / "permutation_importance.csv", index=False)
    (folder / "drift_reference.json").write_text(json.dumps(reference), encoding="utf-8")
    (folder / "gate.json").write_text(json.dumps(decision.as_dict(), indent=2), encoding="utf-8")
    (folder / "fingerprint.json").write_text(fingerprint.as_json(), encoding="utf-8")


def _glossary_terms(project: Project) -> dict[str, dict]:
    """The glossary term of each feature and of the label (column: term id, name, definition)."""
    model = features.FEATURES_MODEL.rsplit(".", 1)[-1]
    columns = (*features.FEATURES, features.LABEL)
    return glossary.column_terms(glossary.read_terms(project.root), model, columns)


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "numpy", "pandas", "scipy")]


def _log_datasets(splits: features.Splits, warehouse: Path) -> None:
    """The train and validation marts as the run's inputs, each with its keys' fingerprint.

    MLflow's run page lists them under Datasets (name, digest, rows, schema); the
    tags say which flights they hold (the SHA-256 of the sorted flight keys, the dates
    and the dbt build they came from), as the run's ``data.*`` tags do.
    """
    import mlflow
    import mlflow.data

    shared = {
        key: str(value)
        for key, value in asdict(splits.fingerprint).items()
        if key in DATASET_TAGS_SHARED
    }
    for frame, relation, context, keys in (
        (splits.train, features.TRAIN_RELATION, "training", splits.fingerprint.train_keys_sha256),
        (
            splits.validation,
            features.VALIDATION_RELATION,
            "validation",
            splits.fingerprint.validation_keys_sha256,
        ),
    ):
        dataset = mlflow.data.from_pandas(
            frame, source=str(warehouse), name=relation, targets=features.LABEL
        )
        tags = {**shared, "rows": str(len(frame)), "keys_sha256": keys}
        mlflow.log_input(dataset, context=context, tags=tags)


def train_version(
    project: Project,
    target: str | None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Train, evaluate, log, register and gate one version on ``target``'s marts."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    say = progress or (lambda _step: None)
    started = time.perf_counter()
    # the run's start: its duration in the UI is the whole training, as printed
    started_at_ms = time.time_ns() // 1_000_000
    config = settings.load(project.root, overrides)
    name, output = project.output(target)
    if output["type"] != "duckdb":
        raise DataOpsError(
            f"dataops train reads DuckDB targets; {name} is a {output['type']} target",
            "train on a DuckDB target (dev, ci or prod): the Spark target holds the same marts",
        )
    say(STEPS[0])
    splits = features.load_splits(project.warehouse_path(name))
    seconds = {"read": time.perf_counter() - started}
    # fit_and_evaluate reports STEPS[1:4], with the number of flights
    trained = train.fit_and_evaluate(splits.train, splits.validation, config, progress=say)
    seconds |= trained.seconds
    say(STEPS[4])
    validation = splits.validation
    decision_rows = trained.model.validation_probability >= trained.model.threshold
    fair = fairness.measure(
        features.labels(validation),
        decision_rows,
        validation[list(features.SENSITIVE)],
        config.fairness_min_group_outcomes,
    )
    say(STEPS[5])
    reference = drift.reference(splits.train, validation, trained.model.validation_probability)
    seconds["training"] = time.perf_counter() - started
    warehouse_dir = project.warehouse_dir
    mlflow_client = registry.client(warehouse_dir)
    with registry.writing(warehouse_dir):
        say(STEPS[6])
        champion_before = _champion_score(mlflow_client, config.model_name, validation)
        decision = gate.decide(
            trained.model.metrics["roc_auc"],
            trained.baseline.metrics["roc_auc"],
            champion_before,
            fair,
            config,
        )
        say(STEPS[7])
        experiment = registry.experiment_id(mlflow_client, warehouse_dir, config.model_name)
        metrics = _metrics(trained, fair)
        fingerprint = splits.fingerprint
        run_name = f"{name} {fingerprint.first_date}..{fingerprint.last_date}"
        created = mlflow_client.create_run(experiment, start_time=started_at_ms, run_name=run_name)
        with mlflow.start_run(run_id=created.info.run_id) as run:
            _log_datasets(splits, project.warehouse_path(name))
            mlflow.log_params({f"model_{k}": v for k, v in train.MODEL_PARAMS.items()})
            mlflow.log_params({f"baseline_{k}": v for k, v in train.BASELINE_PARAMS.items()})
            mlflow.log_params(config.as_params())
            mlflow.log_params(
                {
                    "model": "HistGradientBoostingClassifier",
                    "baseline": "LogisticRegression",
                    "features": ",".join(features.FEATURES),
                    "fitted_rows": trained.fit_rows,
                    "threshold_rows": trained.threshold_rows,
                }
            )
            mlflow.log_metrics(metrics)
            mlflow.log_metrics({f"{key}_seconds": value for key, value in seconds.items()})
            mlflow.set_tags(
                {
                    **fingerprint.as_tags(),
                    registry.TAG_TARGET: name,
                    registry.TAG_PROMOTED: str(decision.promoted).lower(),
                    registry.TAG_SUMMARY: decision.summary(),
                }
            )
            with tempfile.TemporaryDirectory() as folder:
                _write_artifacts(
                    Path(folder), trained, fair, reference, decision, splits.fingerprint
                )
                mlflow.log_artifacts(folder)
            # What each feature and the label mean: their terms (models/docs/glossary.md).
            mlflow.log_dict(_glossary_terms(project), GLOSSARY_ARTIFACT)
            sample = features.feature_frame(validation.head(1000))
            signature = infer_signature(
                sample, trained.model.pipeline.predict_proba(sample)[:, 1].astype(np.float64)
            )
            info = mlflow.sklearn.log_model(
                trained.model.pipeline,
                name="model",
                signature=signature,
                registered_model_name=config.model_name,
                pip_requirements=_requirements(),
                skops_trusted_types=list(SKOPS_TRUSTED_TYPES),
            )
        version = str(info.registered_model_version)
        tags = {
            registry.TAG_PROMOTED: str(decision.promoted).lower(),
            registry.TAG_SUMMARY: decision.summary(),
            registry.TAG_THRESHOLD: repr(trained.model.threshold),
            registry.TAG_TARGET: name,
            registry.TAG_ROC_AUC: repr(trained.model.metrics["roc_auc"]),
        }
        for key, value in tags.items():
            mlflow_client.set_model_version_tag(config.model_name, version, key, value)
        mlflow_client.update_model_version(
            config.model_name, version, description=decision.summary()
        )
        if decision.promoted:
            registry.promote(mlflow_client, config.model_name, version)
    seconds["total"] = time.perf_counter() - started
    return TrainingOutcome(
        model_name=config.model_name,
        version=version,
        run_id=run.info.run_id,
        target=name,
        metrics=trained.model.metrics,
        baseline_metrics=trained.baseline.metrics,
        fairness=fair,
        importance=trained.importance,
        decision=decision,
        champion_before=champion_before,
        fingerprint=splits.fingerprint,
        seconds=seconds,
        tracking_uri=registry.tracking_uri(warehouse_dir),
    )
