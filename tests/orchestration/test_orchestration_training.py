"""The training asset runs ``dataops train --target T`` and reports what it said.

The training command belongs to ``dataops.ml``; here a stand-in console script
with its interface (arguments, exit code 0 when a version is promoted, 1 with an
``error:`` line when it is refused) is run by the asset in-process, in place of
the environment's ``dataops``. The asset is defined only when ``dataops.ml``
exists (``tests/orchestration/test_orchestration.py`` checks its place in the asset graph).
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, materialize

from dataops.core.project import Project
from dataops.orchestration import training
from dataops.orchestration.failures import ALERTED
from dataops.orchestration.settings import Settings

STAND_IN = """#!{python}
import json, sys
from pathlib import Path
Path({calls!r}).open("a").write(json.dumps(sys.argv[1:]) + "\\n")
{body}
"""
PROMOTED = 'print("arrival_delay v3 promoted champion (roc_auc 0.74 >= 0.70)")'
REFUSED = (
    'print("arrival_delay v4: roc_auc 0.61", flush=True)\n'
    'print("error: arrival_delay v4 is registered but not promoted: roc_auc 0.61 < 0.70\\n'
    '  what to do: fix the data or the model and train again", file=sys.stderr)\n'
    "sys.exit(1)"
)


def stand_in(folder: Path, body: str) -> tuple[Path, Path]:
    """An executable ``dataops`` that records its arguments, then runs ``body``."""
    calls = folder / "calls.jsonl"
    script = folder / "dataops"
    script.write_text(STAND_IN.format(python=sys.executable, calls=str(calls), body=body))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, calls


def train(project: Project, monkeypatch: pytest.MonkeyPatch, script: Path):
    monkeypatch.setattr(training, "DATAOPS", script)
    asset = training.training_asset(Settings(project, "ci"))
    with DagsterInstance.ephemeral() as instance:
        return materialize([asset], instance=instance, raise_on_error=False)


def test_a_promoted_version_materializes_the_model_with_the_commands_output(
    project_env: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script, calls = stand_in(tmp_path, PROMOTED)
    result = train(project_env, monkeypatch, script)
    assert result.success
    assert [json.loads(line) for line in calls.read_text().splitlines()] == [
        ["train", "--target", "ci"]
    ]
    (event,) = result.get_asset_materialization_events()
    materialization = event.event_specific_data.materialization
    assert materialization.asset_key == training.MODEL_KEY
    assert materialization.metadata["target"].value == "ci"
    assert "v3 promoted champion" in materialization.metadata["output"].value


def test_a_refused_version_fails_the_step_once_with_the_commands_error(
    project_env: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script, calls = stand_in(tmp_path, REFUSED)
    result = train(project_env, monkeypatch, script)
    assert not result.success
    assert len(calls.read_text().splitlines()) == 1  # a refused model is not retried
    assert result.get_asset_materialization_events() == []
    (failure,) = result.get_step_failure_events()
    user = failure.step_failure_data.user_failure_data
    assert user.description == (
        "dataops train exited 1: error: arrival_delay v4 is registered but not promoted:"
        " roc_auc 0.61 < 0.70"
    )
    assert user.metadata[ALERTED].value is False  # the run-failure sensor alerts it
    kinds = [event.event_type for event in result.all_events]
    assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds


def test_a_missing_console_script_fails_the_step_at_once_saying_what_to_install(
    project_env: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = train(project_env, monkeypatch, tmp_path / "bin" / "dataops")
    assert not result.success
    (failure,) = result.get_step_failure_events()
    user = failure.step_failure_data.user_failure_data
    assert user is not None, failure.step_failure_data.error
    assert user.description.startswith("dataops train cannot be started")
    assert "pip install -e ." in user.description
    kinds = [event.event_type for event in result.all_events]
    assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds
