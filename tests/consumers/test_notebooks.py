"""The notebooks never rot: each runs headless on a sandbox of a real prod."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox(published: dict) -> dict:
    """Sandbox alice of the published prod, and a champion registered (dataops train, then
    promoted by hand: two days are too few for the gate)."""
    from dataops.ml import registry

    env = published["env"]
    created = run(env, "sandbox", "create", "alice")
    assert created.returncode == 0, created.stderr
    run(env, "train", "--target", "prod")  # registered, refused by the gate
    warehouse = published["project"].warehouse_dir
    registry.promote(registry.client(warehouse), "arrival_delay", "1")
    return published


@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        ("delay_features", "champion v1: validation ROC AUC"),
        ("semantic_layer_and_quarantine", "on_time_arrival_rate"),
    ],
)
def test_notebook_runs_headless_on_a_sandbox(sandbox: dict, notebook: str, expected: str) -> None:
    ran = run(sandbox["env"], "notebook", notebook, "--sandbox", "alice", "--headless")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert expected in ran.stdout


def test_notebooks_pass_ruff() -> None:
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check"], ["format", "--check"]):
        checked = subprocess.run(
            [*ruff, *command, str(ROOT / "notebooks"), str(ROOT / "dashboards")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout
