"""The analysis backbone's settings: the vars ``ml_*`` of ``dbt_project.yml``.

One place for the gate, the fairness bounds, the monitoring bounds and the
drift thresholds, documented where they are set. ``dataops train`` reads them
from the project file (``--vars`` overrides some for one run, as dbt's
``--vars`` does); the dbt Python models read the same vars through their
``meta`` (``models/marts/ml/ml_delay_predictions.yml``,
``models/observability/model_*.yml``), so a build and a training agree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from dataops.core.errors import DataOpsError
from dataops.core.project import PROJECT_FILE

log = logging.getLogger(__name__)

PREFIX = "ml_"


@dataclass(frozen=True)
class MlSettings:
    """Every ``ml_*`` var the trainer and the gate use (names without the prefix)."""

    model_name: str
    random_seed: int
    validation_share_percent: int
    threshold_share_percent: int
    gate_champion_tolerance: float
    gate_min_roc_auc: float
    gate_max_recall_gap: float
    gate_max_false_positive_rate_gap: float
    fairness_min_group_outcomes: int
    monitor_min_roc_auc: float
    drift_max_psi: float
    drift_sensitivity: float
    drift_max_outside_range_share: float

    def as_params(self) -> dict[str, object]:
        """The settings as MLflow parameters, with their var names."""
        return {f"{PREFIX}{item.name}": getattr(self, item.name) for item in fields(self)}


def project_vars(root: Path) -> dict[str, Any]:
    """The ``vars`` of the project's ``dbt_project.yml``."""
    path = root / PROJECT_FILE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise DataOpsError(f"cannot read {path}: {error}", "fix the file") from error
    return dict(document.get("vars") or {})


def parse_overrides(text: str | None) -> dict[str, Any]:
    """``--vars`` as dbt takes it: a YAML mapping, e.g. ``{ml_gate_min_roc_auc: 0.7}``."""
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DataOpsError(
            f"--vars is not YAML: {error}", "give a mapping: --vars '{ml_gate_min_roc_auc: 0.7}'"
        ) from error
    if not isinstance(value, dict):
        raise DataOpsError(
            f"--vars must be a mapping, not {type(value).__name__}",
            "give a mapping: --vars '{ml_gate_min_roc_auc: 0.7}'",
        )
    return value


def load(root: Path, overrides: Mapping[str, Any] | None = None) -> MlSettings:
    """The settings of the project at ``root``, ``overrides`` (var name -> value) applied.

    Raises DataOpsError naming the var that is missing, unknown or of the wrong type.
    """
    values = {**project_vars(root), **(overrides or {})}
    known = {f"{PREFIX}{item.name}" for item in fields(MlSettings)}
    unknown = sorted(name for name in overrides or {} if name not in known)
    if unknown:
        raise DataOpsError(
            f"unknown var {', '.join(unknown)} in --vars",
            f"the analysis backbone's vars are {', '.join(sorted(known))} (dbt_project.yml)",
        )
    settings: dict[str, Any] = {}
    for item in fields(MlSettings):
        name = f"{PREFIX}{item.name}"
        if name not in values:
            raise DataOpsError(
                f"{PROJECT_FILE} has no var {name}", f"set it in the vars of {PROJECT_FILE}"
            )
        kind = {"str": str, "int": int, "float": float}[str(item.type)]
        raw = values[name]
        if isinstance(raw, bool) or (kind is not str and not isinstance(raw, int | float)):
            raise DataOpsError(
                f"var {name} is {raw!r}, not a number", f"set {name} to a number in {PROJECT_FILE}"
            )
        if kind is int and float(raw) != int(raw):
            raise DataOpsError(f"var {name} is {raw!r}, not a whole number", f"fix {name}")
        settings[item.name] = kind(raw)
    result = MlSettings(**settings)
    _check_ranges(result)
    return result


def _check_ranges(settings: MlSettings) -> None:
    shares = (
        ("validation_share_percent", settings.validation_share_percent),
        ("threshold_share_percent", settings.threshold_share_percent),
    )
    for name, value in shares:
        if not 0 < value < 100:
            raise DataOpsError(f"var {PREFIX}{name} is {value}", "use a share between 1 and 99")
    if settings.validation_share_percent + settings.threshold_share_percent >= 100:
        raise DataOpsError(
            f"vars {PREFIX}validation_share_percent and {PREFIX}threshold_share_percent"
            " leave no flight to train on",
            "keep their sum below 100",
        )
    for name in ("gate_min_roc_auc", "monitor_min_roc_auc"):
        value = getattr(settings, name)
        if not 0 <= value <= 1:
            raise DataOpsError(f"var {PREFIX}{name} is {value}", "a ROC AUC lies in [0, 1]")
