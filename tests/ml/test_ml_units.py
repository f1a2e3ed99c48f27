"""The backbone's parts on small hand-computed fixtures: fairness, PSI, the gate, settings.

Every expected figure below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dataops.core.errors import DataOpsError
from dataops.ml import drift, fairness, features, gate, settings
from tests.conftest import ROOT


def test_fairness_per_group_and_gaps_on_a_hand_computed_fixture() -> None:
    # airline A: delayed 1 1 0 0 0 0, called 1 0 1 0 0 0 -> recall 1/2, false positive rate 1/4
    # airline B: delayed 1 1 1 0 0 0, called 1 1 1 1 1 0 -> recall 3/3, false positive rate 2/3
    # airline C: delayed 1 0,         called 0 0         -> recall 0, fpr 0 (too few flights)
    y = np.array([1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0])
    called = np.array([1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
    groups = pd.DataFrame(
        {
            "airline_id": list("AAAAAA") + list("BBBBBB") + list("CC"),
            "origin_airport_id": ["EWR"] * 7 + ["JFK"] * 7,
        }
    )
    result = fairness.measure(y, called, groups, min_group_outcomes=2)
    airlines = result.by_group["airline_id"]
    assert airlines.loc["A", "recall"] == pytest.approx(0.5)
    assert airlines.loc["A", "false_positive_rate"] == pytest.approx(0.25)
    assert airlines.loc["B", "recall"] == pytest.approx(1.0)
    assert airlines.loc["B", "false_positive_rate"] == pytest.approx(2 / 3)
    assert airlines.loc["B", "selection_rate"] == pytest.approx(5 / 6)
    assert airlines.loc["A", "accuracy"] == pytest.approx(4 / 6)
    assert airlines["flights"].to_dict() == {"A": 6, "B": 6, "C": 2}
    # C has 1 delayed and 1 on-time flight: below 2, out of both gaps
    assert not airlines.loc["C", "in_recall_gap"]
    assert not airlines.loc["C", "in_false_positive_rate_gap"]
    recall = result.gap("airline_id", "recall")
    assert (recall.gap, recall.lowest_group, recall.highest_group) == (pytest.approx(0.5), "A", "B")
    assert result.gap("airline_id", "false_positive_rate").gap == pytest.approx(2 / 3 - 1 / 4)
    # EWR: A's six flights and B's first -> delayed 1 1 0 0 0 0 1: recall 2/3, fpr 1/4
    # JFK: B's last five and C's two -> delayed 1 1 0 0 0 1 0: recall 2/3, fpr 2/4
    origins = result.by_group["origin_airport_id"]
    assert origins.loc["EWR", "recall"] == pytest.approx(2 / 3)
    assert origins.loc["JFK", "false_positive_rate"] == pytest.approx(0.5)
    assert result.gap("origin_airport_id", "recall").gap == pytest.approx(0.0)
    assert result.largest("false_positive_rate").gap == pytest.approx(2 / 3 - 1 / 4)
    # with a higher minimum no airline has two measured groups: no gap, and it says so
    strict = fairness.measure(y, called, groups, min_group_outcomes=4)
    assert strict.gap("airline_id", "recall").groups_measured == 0
    assert strict.gap("airline_id", "recall").gap == 0.0


def test_psi_on_hand_computed_shares() -> None:
    # (0.5 - 0.25) ln(0.5 / 0.25) + (0.5 - 0.75) ln(0.5 / 0.75)
    expected = 0.25 * math.log(2) - 0.25 * math.log(2 / 3)
    assert drift.psi(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(expected)
    assert drift.psi(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == 0.0
    # an empty bin counts as EPSILON: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5)
    empty = (drift.EPSILON - 0.5) * math.log(drift.EPSILON / 0.5) + 0.5 * math.log(2)
    assert drift.psi(np.array([0.0, 1.0]), np.array([0.5, 0.5])) == pytest.approx(empty)


def _days(values: dict[str, list], day: str) -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(column) for name, column in values.items()})
    frame[features.DATE] = pd.Timestamp(day)
    return frame


def test_drift_flags_values_outside_training_and_unseen_categories() -> None:
    rng = np.random.default_rng(0)
    numbers = {name: rng.normal(50, 10, 400) for name in features.NUMERIC}
    train = pd.concat(
        [
            _days({**numbers, "airline_id": ["UA", "DL"] * 200}, "2013-01-01"),
            _days({**numbers, "airline_id": ["DL", "UA"] * 200}, "2013-01-02"),
        ],
        ignore_index=True,
    )
    for name in features.CATEGORICAL[1:]:
        train[name] = "EWR"
    probability = rng.uniform(0, 1, len(train))
    reference = drift.reference(train, train, probability)
    ordinary = train[train[features.DATE] == "2013-01-01"].copy()
    ordinary[features.DATE] = pd.Timestamp("2013-01-03")
    shifted = ordinary.copy()
    shifted[features.DATE] = pd.Timestamp("2013-01-04")
    # every value above anything training saw; half the flights by an airline it never saw
    shifted["origin_temperature_fahrenheit"] = train["origin_temperature_fahrenheit"].max() + 30
    shifted["airline_id"] = ["UA", "B6"] * 200
    both = pd.concat([ordinary, shifted], ignore_index=True)
    result = drift.daily_drift(both, probability[: len(both)], reference, 0.25, 3.0, 0.05)
    flagged = result[result["is_drifted"]]
    assert set(flagged[features.DATE]) == {pd.Timestamp("2013-01-04")}
    shares = flagged.set_index("feature_name")["outside_range_share"]
    assert shares["origin_temperature_fahrenheit"] == 1.0
    assert shares["airline_id"] == 0.5
    ordinary_rows = result[result[features.DATE] == pd.Timestamp("2013-01-03")]
    assert (ordinary_rows["outside_range_share"] == 0).all()
    assert len(ordinary_rows) == len(features.FEATURES) + 1  # and the prediction


def test_an_unseen_category_gets_its_own_bin_without_a_pandas_deprecation() -> None:
    """The bins of a category: training's own, then unseen ones, then empty values.

    pandas deprecates (and will refuse) building a Categorical from values outside
    its categories, which is what an unseen airline is.
    """
    entry = {"kind": "category", "categories": ["AA", "B6", "UA"]}
    values = pd.Series(["UA", "ZZ", None, "AA"], dtype="object")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes, count = drift._bins(values, entry)
    # AA B6 UA -> 0 1 2; unseen -> 3; empty -> 4
    assert codes.tolist() == [2, 3, 4, 0]
    assert count == 5


def _settings(**changes: object) -> settings.MlSettings:
    return replace(settings.load(ROOT), **changes)


def _fair(recall_gap: float, false_positive_gap: float) -> fairness.Fairness:
    gaps = [
        fairness.Gap("airline_id", "recall", recall_gap, "AA", "EV", 5),
        fairness.Gap("airline_id", "false_positive_rate", false_positive_gap, "DL", "EV", 5),
    ]
    return fairness.Fairness({}, gaps)


def test_the_gate_promotes_only_when_every_check_passes() -> None:
    config = _settings(
        gate_min_roc_auc=0.65,
        gate_champion_tolerance=0.005,
        gate_max_recall_gap=0.5,
        gate_max_false_positive_rate_gap=0.3,
    )
    champion = gate.ChampionScore("4", 0.75, rescored=True)
    passed = gate.decide(0.746, 0.70, champion, _fair(0.2, 0.1), config)
    assert passed.promoted and passed.summary() == "passed every check"
    # 0.744 < 0.75 - 0.005: short by 0.001; the false positive rate gap 0.4 exceeds 0.3 by 0.1
    refused = gate.decide(0.744, 0.70, champion, _fair(0.2, 0.4), config)
    assert not refused.promoted
    assert [check.name for check in refused.failed] == [
        "against_champion",
        "false_positive_rate_gap_airline_id",
    ]
    assert "short by 0.0010" in refused.failed[0].detail
    assert "champion v4 (0.7500, scored on the same validation flights)" in refused.failed[0].detail
    assert "exceeds 0.3000 (by 0.1000)" in refused.failed[1].detail
    assert refused.failed[1].margin == pytest.approx(-0.1)
    # no champion yet: the floor and the baseline still hold
    first = gate.decide(0.60, 0.62, None, _fair(0.0, 0.0), config)
    assert [check.name for check in first.failed] == ["roc_auc_floor", "beats_baseline"]
    assert "not above 0.6500 (short by 0.0500)" in first.summary()


def test_settings_overrides_are_checked() -> None:
    base = settings.load(ROOT)
    assert settings.load(ROOT, {"ml_gate_min_roc_auc": 0.7}).gate_min_roc_auc == 0.7
    assert settings.load(ROOT, settings.parse_overrides("{ml_random_seed: 7}")).random_seed == 7
    assert base.model_name == "arrival_delay"
    with pytest.raises(DataOpsError, match="unknown var ml_gate_min_auc"):
        settings.load(ROOT, {"ml_gate_min_auc": 0.7})
    with pytest.raises(DataOpsError, match="not a number"):
        settings.load(ROOT, {"ml_gate_min_roc_auc": "high"})
    with pytest.raises(DataOpsError, match="a ROC AUC lies in"):
        settings.load(ROOT, {"ml_gate_min_roc_auc": 1.5})
    with pytest.raises(DataOpsError, match="must be a mapping"):
        settings.parse_overrides("[1, 2]")


def test_the_cli_runs_as_a_module_as_the_benchmarks_start_it() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "dataops.cli", "models", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "why each was or was not promoted" in done.stdout


def test_monitoring_reads_whole_days_in_chunks_of_bounded_rows() -> None:
    from dataops.ml import monitoring

    days = [("d1", 5), ("d2", 5), ("d3", 5), ("d4", 20), ("d5", 1), ("d6", 9)]
    assert monitoring.day_chunks(days, 10) == [
        ("d1", "d2"),
        ("d3", "d3"),
        ("d4", "d4"),  # a day of more rows is a chunk of its own, never split
        ("d5", "d6"),
    ]
    assert monitoring.day_chunks(days, 1_000) == [("d1", "d6")]
    assert monitoring.day_chunks([], 10) == []
