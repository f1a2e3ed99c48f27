"""Who trained and promoted the model, and who rolled it back: the activity log of the models.

``trained_weeks`` (tests/conftest.py) runs ``dataops train`` twice on two weeks of 2013
before any test: the first two train entries of its log are those, and each must name
its actor, host and commit, and the champion before and after it. Other tests of the
fixture (tests/ml/test_ml_backbone.py) train and roll back again: only those two are read.
"""

from __future__ import annotations

import getpass
import socket

import pytest

from dataops.cli import main
from dataops.core.project import Project
from dataops.observability import activity

pytestmark = pytest.mark.e2e


def by_start(runs: list[dict], command: str) -> list[dict]:
    return sorted(
        (run for run in runs if run["command"] == command), key=lambda run: run["started_at"]
    )


def test_training_and_promotion_recorded_with_the_champion(trained_weeks: dict) -> None:
    project = trained_weeks["project"]
    trains = by_start(activity.runs(project.warehouse_dir), "train")[:2]
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


def test_a_model_rollback_without_a_registry_is_recorded_refused(
    project_env: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(activity.ACTOR_VARIABLE, raising=False)
    assert main(["model", "rollback"]) == 1
    [run] = by_start(activity.runs(project_env.warehouse_dir), "model rollback")
    assert (run["outcome"], run["target"]) == (activity.REFUSED, "model registry")
    assert "no model registry" in run["reason"]
    assert run["actor"] == getpass.getuser() and run["host"] == socket.gethostname()
    assert run["details"] == {"champion_before": None, "champion": None}
