"""Fairness: the model's metrics per airline and per New York origin, and the largest gaps.

fairlearn's ``MetricFrame`` computes, per group of a sensitive column, the
recall (the share of delayed flights the model calls delayed), the false
positive rate (the share of on-time flights it calls delayed), the selection
rate and the accuracy, at the model's decision threshold, on the validation
flights. The gap of a metric is the largest difference between two groups
(fairlearn's ``between_groups`` difference), taken over the groups with enough
flights to measure it: at least ``ml_fairness_min_group_outcomes`` delayed
flights for the recall, as many on-time flights for the false positive rate
(an airline with six validation flights tells nothing). Every group is
reported; the ones left out of a gap are marked.

The metrics depend on each group's confusion matrix only, so ``MetricFrame`` is
given one row per group and cell (delayed or not, called delayed or not) weighted
by its number of flights (``sample_params``): the same figures as one row per
flight, in milliseconds rather than seconds a year (fairlearn stacks its inputs
element by element).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

log = logging.getLogger(__name__)

GAP_METRICS = ("recall", "false_positive_rate")


def _flights(_y_true: np.ndarray, _y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight))


def _delayed(_y_true: np.ndarray, _y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight[_y_true == 1]))


def _on_time(_y_true: np.ndarray, _y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight[_y_true == 0]))


METRICS = {
    "flights": _flights,
    "delayed_flights": _delayed,
    "on_time_flights": _on_time,
    "recall": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "selection_rate": selection_rate,
    "accuracy": accuracy_score,
}


@dataclass(frozen=True)
class Gap:
    """The largest difference of one metric between two measured groups of a column."""

    column: str
    metric: str
    gap: float
    lowest_group: str | None
    highest_group: str | None
    groups_measured: int


@dataclass
class Fairness:
    """Per column: every group's metrics; and the recall and false positive rate gaps."""

    by_group: dict[str, pd.DataFrame]
    gaps: list[Gap]

    def gap(self, column: str, metric: str) -> Gap:
        return next(g for g in self.gaps if g.column == column and g.metric == metric)

    def largest(self, metric: str) -> Gap:
        """The largest gap of ``metric`` over every column."""
        return max((g for g in self.gaps if g.metric == metric), key=lambda g: g.gap)

    def as_dict(self) -> dict[str, object]:
        return {
            "gaps": [asdict(gap) for gap in self.gaps],
            "by_group": {
                column: frame.reset_index().to_dict(orient="records")
                for column, frame in self.by_group.items()
            },
        }


def _gap(frame: pd.DataFrame, column: str, metric: str, minimum: int) -> Gap:
    support = "delayed_flights" if metric == "recall" else "on_time_flights"
    measured = frame[frame[support] >= minimum][metric].dropna()
    if len(measured) < 2:
        return Gap(column, metric, 0.0, None, None, len(measured))
    return Gap(
        column,
        metric,
        float(measured.max() - measured.min()),
        str(measured.idxmin()),
        str(measured.idxmax()),
        len(measured),
    )


def measure(
    y_true: np.ndarray,
    decision: np.ndarray,
    groups: pd.DataFrame,
    min_group_outcomes: int,
) -> Fairness:
    """Metrics per group of each column of ``groups`` (one row per flight) and their gaps."""
    by_group: dict[str, pd.DataFrame] = {}
    gaps: list[Gap] = []
    for column in groups.columns:
        group = groups[column].astype(object)
        cells = (
            pd.DataFrame(
                {
                    "group": group.where(group.notna(), "(unknown)"),
                    "y_true": np.asarray(y_true).astype(int),
                    "y_pred": np.asarray(decision).astype(int),
                }
            )
            .astype({"group": str})
            .groupby(["group", "y_true", "y_pred"])
            .size()
            .reset_index(name="weight")
        )
        weights = cells["weight"].to_numpy(dtype="float64")
        frame = MetricFrame(
            metrics=METRICS,
            y_true=cells["y_true"].to_numpy(),
            y_pred=cells["y_pred"].to_numpy(),
            sensitive_features=cells["group"].to_numpy(),
            sample_params={name: {"sample_weight": weights} for name in METRICS},
        ).by_group
        frame.index.name = "group"
        for name in ("flights", "delayed_flights", "on_time_flights"):
            frame[name] = frame[name].astype(int)
        for metric in GAP_METRICS:
            support = "delayed_flights" if metric == "recall" else "on_time_flights"
            frame[f"in_{metric}_gap"] = frame[support] >= min_group_outcomes
            gaps.append(_gap(frame, column, metric, min_group_outcomes))
        by_group[column] = frame.sort_values("flights", ascending=False)
    return Fairness(by_group, gaps)
