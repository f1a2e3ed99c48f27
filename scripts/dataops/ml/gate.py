"""The gate: write-audit-publish for models.

A new version becomes the champion only if, on the validation flights:

- its ROC AUC is above the floor ``ml_gate_min_roc_auc``;
- its ROC AUC beats the baseline's (fitted on the same rows);
- its ROC AUC is at least the current champion's minus ``ml_gate_champion_tolerance``,
  the champion scored on the same validation flights (when it cannot be, on
  the flights it was validated on: its logged ROC AUC, and the check says so);
- its recall gap and its false positive rate gap (fairness.py), per airline and
  per New York origin, are at most ``ml_gate_max_recall_gap`` and
  ``ml_gate_max_false_positive_rate_gap``.

Every check is kept with what it measured, its bound and by how much it passed
or failed; a refused version is registered all the same, with the reasons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dataops.ml.fairness import Fairness
from dataops.ml.settings import MlSettings


@dataclass(frozen=True)
class Check:
    """One condition of the gate: measured against a bound."""

    name: str
    passed: bool
    measured: float
    bound: float
    detail: str

    @property
    def margin(self) -> float:
        """How far from the bound, positive when it passed."""
        if self.name in LOWER_BOUNDS:
            return self.measured - self.bound
        return self.bound - self.measured


@dataclass(frozen=True)
class ChampionScore:
    """The current champion's ROC AUC to compare with, and where it comes from."""

    version: str
    roc_auc: float
    rescored: bool


@dataclass(frozen=True)
class Decision:
    promoted: bool
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def summary(self) -> str:
        if self.promoted:
            return "passed every check"
        return "; ".join(check.detail for check in self.failed)

    def as_dict(self) -> dict[str, object]:
        return {
            "promoted": self.promoted,
            "checks": [{**asdict(check), "margin": check.margin} for check in self.checks],
        }


# Checks whose measure must reach the bound (the others must stay at or under it).
LOWER_BOUNDS = frozenset({"roc_auc_floor", "beats_baseline", "against_champion"})


def _at_least(name: str, measured: float, bound: float, strict: bool, what: str) -> Check:
    passed = measured > bound if strict else measured >= bound
    relation = "above" if strict else "at least"
    if passed:
        detail = f"{what}: {measured:.4f} is {relation} {bound:.4f} (by {measured - bound:.4f})"
    else:
        short = bound - measured
        detail = f"{what}: {measured:.4f} is not {relation} {bound:.4f} (short by {short:.4f})"
    return Check(name, passed, measured, bound, detail)


def _at_most(name: str, measured: float, bound: float, what: str) -> Check:
    passed = measured <= bound
    if passed:
        detail = f"{what}: {measured:.4f} is within {bound:.4f} (by {bound - measured:.4f})"
    else:
        detail = f"{what}: {measured:.4f} exceeds {bound:.4f} (by {measured - bound:.4f})"
    return Check(name, passed, measured, bound, detail)


def decide(
    roc_auc: float,
    baseline_roc_auc: float,
    champion: ChampionScore | None,
    fairness: Fairness,
    settings: MlSettings,
) -> Decision:
    """Every check of the gate for a new version; promoted only when all pass."""
    checks = [
        _at_least(
            "roc_auc_floor", roc_auc, settings.gate_min_roc_auc, True, "validation ROC AUC vs floor"
        ),
        _at_least(
            "beats_baseline",
            roc_auc,
            baseline_roc_auc,
            True,
            "validation ROC AUC vs the baseline (logistic regression)",
        ),
    ]
    if champion is not None:
        where = (
            "scored on the same validation flights"
            if champion.rescored
            else "as logged: it could not score these flights"
        )
        checks.append(
            _at_least(
                "against_champion",
                roc_auc,
                champion.roc_auc - settings.gate_champion_tolerance,
                False,
                f"validation ROC AUC vs champion v{champion.version} ({champion.roc_auc:.4f},"
                f" {where}) minus tolerance {settings.gate_champion_tolerance}",
            )
        )
    bounds = {
        "recall": settings.gate_max_recall_gap,
        "false_positive_rate": settings.gate_max_false_positive_rate_gap,
    }
    for gap in fairness.gaps:
        between = (
            f" ({gap.lowest_group} to {gap.highest_group}, {gap.groups_measured} groups measured)"
            if gap.lowest_group
            else f" (fewer than 2 groups measured: {gap.groups_measured})"
        )
        checks.append(
            _at_most(
                f"{gap.metric}_gap_{gap.column}",
                gap.gap,
                bounds[gap.metric],
                f"{gap.metric.replace('_', ' ')} gap per {gap.column}{between}",
            )
        )
    return Decision(all(check.passed for check in checks), tuple(checks))
