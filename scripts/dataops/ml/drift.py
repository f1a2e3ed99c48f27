"""Drift of each feature, and of the prediction, against the training set, per day.

At training time the reference is taken from the training flights (for the
prediction: from the model's probabilities on the validation flights, which it
did not learn from, as on the days it scores) and stored with the model
(``drift_reference.json``): for a number, the training deciles
as bin edges and its least and greatest value; for a category, the categories
seen; for both, the share of training flights in each bin (an empty value and,
for categories, one never seen are bins of their own).

A day is then compared with it in two ways:

- the population stability index, ``PSI = sum((a - e) * ln(a / e))`` over the
  bins, ``a`` the day's shares and ``e`` the training set's (each at least
  ``EPSILON``). Every flight of a day shares that day's weather and calendar,
  so the PSI of a single training day against the whole training set is
  already large for them (4 to 9 for the temperature: one day fills two or three
  deciles of a season): a fixed bound would flag every ordinary day. The bound
  of a feature is therefore the wider of ``ml_drift_max_psi`` (0.25, the usual
  "significant shift") and the mean plus ``ml_drift_sensitivity`` (3) standard
  deviations of the PSI of the training days themselves, the rule of the
  project's anomaly tests;
- the share of the day's values outside what training saw: below the least or
  above the greatest training value, or a category never seen. A day whose
  temperatures lie 30 F above anything in training is flagged by this even
  though the PSI of a narrow day saturates; ``ml_drift_max_outside_range_share``
  (0.05) bounds it.

A day is drifted on a feature when either passes its bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from dataops.ml import features

EPSILON = 1e-4
DECILES = np.linspace(0, 1, 11)[1:-1]
PREDICTION = "prediction"


def psi(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """PSI of each row of ``actual`` (shares per bin) against ``expected``."""
    a = np.maximum(actual, EPSILON)
    e = np.maximum(expected, EPSILON)
    return np.sum((a - e) * np.log(a / e), axis=-1)


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _text(values: pd.Series) -> pd.Series:
    """Categories as text, empty values as missing."""
    return values.astype("string")


def _bins(values: pd.Series, entry: dict) -> tuple[np.ndarray, int]:
    """The bin of every value, and how many bins there are (the last: empty values)."""
    if entry["kind"] == "category":
        categories = entry["categories"]
        # -1: a category training did not see (or an empty value, set apart below)
        codes = pd.Index(categories).get_indexer(_text(values)).astype(np.int64)
        unseen = len(categories)
        codes[codes < 0] = unseen
        codes[values.isna().to_numpy()] = unseen + 1
        return codes, unseen + 2
    numbers = _numeric(values)
    edges = np.asarray(entry["edges"], dtype="float64")
    bins = np.searchsorted(edges, numbers, side="right").astype(np.int64)
    bins[np.isnan(numbers)] = len(edges) + 1
    return bins, len(edges) + 2


def _outside(values: pd.Series, entry: dict) -> np.ndarray:
    """1.0 where a value lies outside what training saw, 0.0 inside, NaN when empty."""
    if entry["kind"] == "category":
        seen = _text(values).isin(entry["categories"]).to_numpy(dtype=bool, na_value=False)
        result = np.where(seen, 0.0, 1.0)
        result[values.isna().to_numpy()] = np.nan
        return result
    numbers = _numeric(values)
    outside = ((numbers < entry["min"]) | (numbers > entry["max"])).astype("float64")
    outside[np.isnan(numbers)] = np.nan
    return outside


def _shares_per_day(bins: np.ndarray, size: int, day_index: np.ndarray, days: int) -> np.ndarray:
    counts = np.bincount(day_index * size + bins, minlength=days * size).reshape(days, size)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def _entry(values: pd.Series, kind: str) -> dict:
    if kind == "category":
        seen = sorted(str(value) for value in _text(values).dropna().unique())
        return {"kind": "category", "categories": seen}
    numbers = _numeric(values)
    present = numbers[~np.isnan(numbers)]
    if present.size == 0:
        return {"kind": "number", "edges": [], "min": math.nan, "max": math.nan}
    edges = np.unique(np.quantile(present, DECILES))
    return {
        "kind": "number",
        "edges": [float(edge) for edge in edges],
        "min": float(present.min()),
        "max": float(present.max()),
    }


def _columns(
    frame: pd.DataFrame, probability: np.ndarray | None
) -> Iterable[tuple[str, pd.Series, str]]:
    for name in features.FEATURES:
        kind = "category" if name in features.CATEGORICAL else "number"
        yield name, frame[name], kind
    if probability is not None:
        yield PREDICTION, pd.Series(probability, index=frame.index), "number"


def _reference_entry(values: pd.Series, kind: str, dates: pd.Series) -> dict:
    day_index, day_values = pd.factorize(dates)
    entry = _entry(values, kind)
    bins, size = _bins(values, entry)
    expected = np.bincount(bins, minlength=size) / max(len(bins), 1)
    daily = psi(_shares_per_day(bins, size, day_index, len(day_values)), expected)
    entry["expected"] = [float(share) for share in expected]
    entry["training_day_psi_mean"] = float(daily.mean()) if daily.size else 0.0
    entry["training_day_psi_std"] = float(daily.std()) if daily.size else 0.0
    return entry


def reference(
    train: pd.DataFrame, validation: pd.DataFrame, validation_probability: np.ndarray
) -> dict:
    """The reference: bins, shares, ranges and the PSI of the reference's own days."""
    result: dict = {
        "epsilon": EPSILON,
        "training_days": int(train[features.DATE].nunique()),
        "features": {},
    }
    for name, values, kind in _columns(train, None):
        result["features"][name] = _reference_entry(values, kind, train[features.DATE])
    result["features"][PREDICTION] = _reference_entry(
        pd.Series(validation_probability, index=validation.index),
        "number",
        validation[features.DATE],
    )
    return result


def psi_bound(entry: dict, max_psi: float, sensitivity: float) -> float:
    """The wider of the fixed bound and the training days' own PSI band."""
    band = entry["training_day_psi_mean"] + sensitivity * entry["training_day_psi_std"]
    return float(max(max_psi, band))


def daily_drift(
    frame: pd.DataFrame,
    probability: np.ndarray,
    reference_: dict,
    max_psi: float,
    sensitivity: float,
    max_outside_share: float,
) -> pd.DataFrame:
    """One row per day of ``frame`` and feature (and the prediction): PSI, bound, verdict."""
    day_index, day_values = pd.factorize(frame[features.DATE], sort=True)
    rows_per_day = np.bincount(day_index, minlength=len(day_values))
    parts = []
    for name, values, _kind in _columns(frame, probability):
        entry = reference_["features"].get(name)
        if entry is None:
            continue
        bins, size = _bins(values, entry)
        shares = _shares_per_day(bins, size, day_index, len(day_values))
        day_psi = psi(shares, np.asarray(entry["expected"], dtype="float64"))
        outside = _outside(values, entry)
        present = ~np.isnan(outside)
        outside_counts = np.bincount(
            day_index[present], weights=outside[present], minlength=len(day_values)
        )
        present_counts = np.bincount(day_index[present], minlength=len(day_values))
        outside_share = outside_counts / np.maximum(present_counts, 1)
        bound = psi_bound(entry, max_psi, sensitivity)
        parts.append(
            pd.DataFrame(
                {
                    features.DATE: day_values,
                    "feature_name": name,
                    "row_count": rows_per_day.astype("int64"),
                    "psi": day_psi,
                    "psi_bound": bound,
                    "outside_range_share": outside_share,
                    "is_drifted": (day_psi > bound) | (outside_share > max_outside_share),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
