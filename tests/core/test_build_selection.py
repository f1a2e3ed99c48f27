"""dataops build with a selection that matches nothing fails, rather than building nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dataops.core.build import build
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.ingest.run import ingest


def test_a_selection_that_matches_nothing_is_an_error(
    project_env: Project, fed_inbox: Path, tmp_path: Path
) -> None:
    shutil.copytree(fed_inbox / "airlines", project_env.inbox_dir / "airlines")
    ingest(project_env, "ci")

    with pytest.raises(DataOpsError, match="'nosuchmodel' matched no model") as raised:
        build(project_env, "ci", select=["nosuchmodel"], artifacts_dir=tmp_path / "dbt")
    assert "dbt ls --select nosuchmodel" in raised.value.hint

    built = build(
        project_env, "ci", select=["ldg_airlines__airlines"], artifacts_dir=tmp_path / "dbt"
    )
    assert built.executed[0] == "model.nycflights.ldg_airlines__airlines"
