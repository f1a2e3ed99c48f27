"""``dataops demo``'s dbt stages: dbt's node lines counted by a bar, kept in logs/dbt.log only.

A real dbt build (the 2013 airlines extract's landing model and its tests) inside the
filter the demo puts on dbt's console.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from dataops.cli import printing
from dataops.cli.group import DBT_STDOUT_LOGGER, DbtNodesAsProgress, dbt_progress
from dataops.core.build import build
from dataops.core.project import Project
from dataops.ingest.run import ingest

NODE_LINE = "OK created sql incremental model landing.ldg_airlines__airlines"


def test_dbt_node_lines_become_a_count_and_stay_in_the_log(
    project_env: Project, fed_inbox: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(fed_inbox / "airlines", project_env.inbox_dir / "airlines")
    ingest(project_env, "ci")
    capfd.readouterr()
    counted: list[tuple[int, int]] = []
    console = logging.getLogger(DBT_STDOUT_LOGGER)
    counter = DbtNodesAsProgress(lambda done, total: counted.append((done, total)))
    console.addFilter(counter)
    try:
        with dbt_progress("build"):
            outcome = build(
                project_env, "ci", select=["ldg_airlines__airlines"], artifacts_dir=tmp_path
            )
    finally:
        console.removeFilter(counter)

    shown = capfd.readouterr()
    assert NODE_LINE not in shown.out + shown.err
    assert NODE_LINE in (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    nodes = len(outcome.executed)
    assert nodes >= 2  # the model and its tests
    assert counted == [(done, nodes) for done in range(1, nodes + 1)]
    assert console.filters == []  # the demo's next stages print as usual


def test_stages_are_numbered_out_of_their_total(capsys: pytest.CaptureFixture[str]) -> None:
    stage = printing.stages(3)
    for text in ("feed", "ingest", "build"):
        stage(text)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]
