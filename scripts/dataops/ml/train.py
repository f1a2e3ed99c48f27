"""The classifier and its baseline: fitted, their threshold chosen, evaluated on validation.

The model is scikit-learn's ``HistGradientBoostingClassifier``: gradient-boosted
trees on binned features, LightGBM's algorithm, with native categories and
missing values, deterministic for a seed, in the library the baseline, the
metrics and the permutation importance come from anyway (one dependency
fewer than LightGBM, no OpenMP runtime of its own). The baseline is a plain
logistic regression (one-hot categories, imputed and scaled numbers): a new
model must beat it on the same rows.

The rows: ``ml_delay_validation`` is never seen before the metrics are taken.
``ml_delay_train`` is split once more by the same hash bucket: the flights with
``split_bucket`` in ``[validation share, validation share + threshold share)``
(10 % of all flights by default) choose the decision threshold (the probability
that maximises F1 there), the others are fitted. Same rows, same seed: same
model, same metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from dataops.core.errors import DataOpsError
from dataops.ml import features
from dataops.ml.settings import MlSettings

log = logging.getLogger(__name__)

# The gradient-boosted trees; logged as the run's parameters.
MODEL_PARAMS = {
    "max_iter": 300,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
}
BASELINE_PARAMS = {"C": 1.0, "max_iter": 2000}
# Permutation importance: on a seeded sample of the validation rows, ROC AUC lost per feature.
IMPORTANCE_ROWS = 5_000
IMPORTANCE_REPEATS = 3

Progress = Callable[[str], None]


def build_model(seed: int) -> Pipeline:
    """Categories to ordinal codes (unknown and empty: missing), then the boosted trees."""
    encoder = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                list(features.CATEGORICAL),
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    is_category = [name in features.CATEGORICAL for name in features.FEATURES]
    trees = HistGradientBoostingClassifier(
        categorical_features=is_category, random_state=seed, **MODEL_PARAMS
    )
    return Pipeline([("encode", encoder), ("trees", trees)])


def build_baseline(seed: int) -> Pipeline:
    """One-hot categories, imputed and scaled numbers, a logistic regression."""
    columns = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), list(features.CATEGORICAL)),
            (
                "numbers",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                list(features.NUMERIC),
            ),
        ]
    )
    regression = LogisticRegression(random_state=seed, **BASELINE_PARAMS)
    return Pipeline([("encode", columns), ("regression", regression)])


def choose_threshold(y: np.ndarray, probability: np.ndarray) -> float:
    """The probability at or above which a flight is called delayed: the best F1 on ``y``."""
    precision, recall, thresholds = precision_recall_curve(y, probability)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    # the last point of the curve has no threshold
    return float(thresholds[int(np.argmax(f1[:-1]))])


def evaluate(y: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Validation metrics of probabilities, and of the decisions at ``threshold``."""
    decision = probability >= threshold
    return {
        "roc_auc": float(roc_auc_score(y, probability)),
        "pr_auc": float(average_precision_score(y, probability)),
        "log_loss": float(log_loss(y, probability, labels=[0, 1])),
        "brier_score": float(brier_score_loss(y, probability)),
        "accuracy": float(accuracy_score(y, decision)),
        "recall": float(recall_score(y, decision, zero_division=0)),
        "precision": float(precision_score(y, decision, zero_division=0)),
        "f1": float(f1_score(y, decision, zero_division=0)),
        "positive_rate": float(y.mean()),
        "predicted_positive_rate": float(decision.mean()),
        "threshold": threshold,
    }


@dataclass
class Fitted:
    """One fitted pipeline, its threshold, its validation metrics and its fit time."""

    pipeline: Pipeline
    threshold: float
    metrics: dict[str, float]
    fit_seconds: float
    validation_probability: np.ndarray


@dataclass
class Trained:
    """What a training produced, before anything is logged."""

    model: Fitted
    baseline: Fitted
    importance: pd.DataFrame
    fit_rows: int
    threshold_rows: int
    seconds: dict[str, float] = field(default_factory=dict)


def _fit(
    pipeline: Pipeline,
    fit_rows: pd.DataFrame,
    threshold_rows: pd.DataFrame,
    validation: pd.DataFrame,
) -> Fitted:
    started = time.perf_counter()
    pipeline.fit(features.feature_frame(fit_rows), features.labels(fit_rows))
    fit_seconds = time.perf_counter() - started
    tuning = pipeline.predict_proba(features.feature_frame(threshold_rows))[:, 1]
    threshold = choose_threshold(features.labels(threshold_rows), tuning)
    probability = pipeline.predict_proba(features.feature_frame(validation))[:, 1]
    metrics = evaluate(features.labels(validation), probability, threshold)
    return Fitted(pipeline, threshold, metrics, fit_seconds, probability)


def split_for_threshold(
    train: pd.DataFrame, settings: MlSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training rows fitted, and the ones that choose the threshold (by hash bucket)."""
    low = settings.validation_share_percent
    high = low + settings.threshold_share_percent
    chooses = train["split_bucket"].between(low, high - 1)
    fit_rows, threshold_rows = train[~chooses], train[chooses]
    for name, rows in (("fitted", fit_rows), ("threshold", threshold_rows)):
        labels = rows[features.LABEL]
        if rows.empty or labels.nunique() < 2:
            raise DataOpsError(
                f"the {name} rows of ml_delay_train ({len(rows)}) hold too few flights"
                " of each label",
                "feed and build more days before training",
            )
    return fit_rows, threshold_rows


def importance(
    fitted: Fitted, validation: pd.DataFrame, seed: int, rows: int = IMPORTANCE_ROWS
) -> pd.DataFrame:
    """Permutation importance: the ROC AUC lost when a feature's values are shuffled.

    The features are encoded once and the trees scored on the codes: shuffling a
    category's codes is shuffling the category, without encoding the frame anew
    for every feature and repeat.
    """
    sample = validation.sample(n=min(rows, len(validation)), random_state=seed)
    encoder, trees = fitted.pipeline[:-1], fitted.pipeline[-1]
    encoded = encoder.transform(features.feature_frame(sample))
    order = [str(name) for name in encoder.get_feature_names_out()]
    result = permutation_importance(
        trees,
        encoded,
        features.labels(sample),
        scoring="roc_auc",
        n_repeats=IMPORTANCE_REPEATS,
        random_state=seed,
        n_jobs=1,
    )
    frame = pd.DataFrame(
        {
            "feature": order,
            "roc_auc_drop_mean": result.importances_mean,
            "roc_auc_drop_std": result.importances_std,
        }
    )
    return frame.sort_values(["roc_auc_drop_mean", "feature"], ascending=[False, True]).reset_index(
        drop=True
    )


def fit_and_evaluate(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    settings: MlSettings,
    progress: Progress | None = None,
) -> Trained:
    """The model and the baseline, fitted on the same rows, evaluated on validation."""
    say = progress or (lambda _step: None)
    features.check_features()
    fit_rows, threshold_rows = split_for_threshold(train, settings)
    seconds: dict[str, float] = {}
    say(f"fitting the baseline (logistic regression) on {len(fit_rows):,} flights")
    baseline = _fit(build_baseline(settings.random_seed), fit_rows, threshold_rows, validation)
    seconds["baseline_fit"] = baseline.fit_seconds
    say(f"fitting the model (gradient-boosted trees) on {len(fit_rows):,} flights")
    model = _fit(build_model(settings.random_seed), fit_rows, threshold_rows, validation)
    seconds["model_fit"] = model.fit_seconds
    say("permutation importance on the validation flights")
    started = time.perf_counter()
    ranked = importance(model, validation, settings.random_seed)
    seconds["importance"] = time.perf_counter() - started
    return Trained(
        model=model,
        baseline=baseline,
        importance=ranked,
        fit_rows=len(fit_rows),
        threshold_rows=len(threshold_rows),
        seconds=seconds,
    )
