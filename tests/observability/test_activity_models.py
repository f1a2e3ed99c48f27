"""Who trained, promoted and rolled back the model: the activity log of the analysis backbone.

``trained_weeks`` (tests/conftest.py) runs ``dataops train`` twice on two weeks of 2013;
here ``dataops model rollback`` runs twice (back, then forward again), and each command's
entry must name its actor, host and commit, and the champion before and after it.
"""

from __future__ import annotations

import getpass
import socket

import pytest

from dataops.cli import main
from dataops.ml import registry, settings
from dataops.observability import activity

pytestmark = pytest.mark.e2e


def by_start(runs: list[dict], command: str) -> list[dict]:
    return sorted(
        (run for run in runs if run["command"] == command), key=lambda run: run["started_at"]
    )


def test_training_promotion_and_model_rollback_recorded_with_the_champion(
    trained_weeks: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(activity.ACTOR_VARIABLE, raising=False)
    project = trained_weeks["project"]
    name = settings.load(project.root).model_name
    trains = by_start(activity.runs(project.warehouse_dir), "train")
    assert len(trains) == len(trained_weeks["trained"]) == 2
    for run, code in zip(trains, trained_weeks["trained"], strict=True):
        assert run["outcome"] == (activity.OK if code == 0 else activity.REFUSED)
        assert run["target"] == "ci" and run["host"] == socket.gethostname()
        assert run["commit"] and run["actor"]
        details = run["details"]
        if run["outcome"] == activity.OK:  # promoted: a new champion
            assert details["champion"] is not None
            assert details["champion"] != details["champion_before"]
        else:
            assert details["champion"] == details["champion_before"]
            assert "not promoted" in run["reason"]
    assert trains[0]["details"]["champion_before"] is None
    assert trains[1]["details"]["champion_before"] == trains[0]["details"]["champion"]

    champion = registry.champion(project.warehouse_dir, name)
    codes = [main(["model", "rollback"]), main(["model", "rollback"])]
    rollbacks = by_start(activity.runs(project.warehouse_dir), "model rollback")
    assert len(rollbacks) == 2
    for run, code in zip(rollbacks, codes, strict=True):
        assert run["outcome"] == (activity.OK if code == 0 else activity.REFUSED)
        assert run["target"] == "model registry"
        assert run["actor"] == getpass.getuser()
        if run["outcome"] == activity.OK:
            assert run["details"]["champion"] != run["details"]["champion_before"]
    # back and forward again: the champion of before the rollbacks
    assert rollbacks[1]["details"]["champion"] == str(champion.version)
    assert rollbacks[0]["details"]["champion_before"] == str(champion.version)
