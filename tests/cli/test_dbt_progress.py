"""``dataops demo``'s dbt stages: dbt's node lines counted by a bar, kept in logs/dbt.log only.

A real dbt build (the 2013 airlines extract's landing model and its tests) inside the
filter the demo puts on dbt's console.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    with dbt_progress("build") as progress:
        outcome = build(
            project_env, "ci", select=["ldg_airlines__airlines"], artifacts_dir=tmp_path
        )

    shown = capfd.readouterr()
    assert NODE_LINE not in shown.out + shown.err
    assert NODE_LINE in (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    nodes = len(outcome.executed)
    assert nodes >= 2  # the model and its tests
    [bar] = progress.tasks
    assert (bar.completed, bar.total) == (nodes, nodes)
    assert f"{nodes}/{nodes}" in shown.err  # the bar, on stderr
    # the next stages print as usual: the bar's filter is gone (the CLI's own, which hides
    # tracebacks, stays when main() ran before in this process)
    left = logging.getLogger(DBT_STDOUT_LOGGER).filters
    assert not [f for f in left if isinstance(f, DbtNodesAsProgress)]


@given(
    statuses=st.lists(
        st.sampled_from(["OK created sql table model", "PASS", "WARN", "FAIL", "ERROR", "SKIP"]),
        min_size=1,
        max_size=30,
    ),
    hooks=st.integers(min_value=0, max_value=3),
)
def test_each_node_line_counts_once_and_hooks_never(statuses: list[str], hooks: int) -> None:
    counted: list[tuple[int, int]] = []
    counter = DbtNodesAsProgress(lambda done, total: counted.append((done, total)))
    total = len(statuses)
    lines = [f"1 of {hooks} OK hook: nycflights.on-run-start.0 [OK]" for _ in range(hooks)]
    lines += [
        f"\x1b[32m{n} of {total} {status}\x1b[0m x [in 0.1s]"
        for n, status in enumerate(statuses, start=1)
    ]
    lines += [f"{n} of {total} START sql table model x [RUN]" for n in range(1, total + 1)]
    for line in lines:
        record = logging.LogRecord(DBT_STDOUT_LOGGER, logging.INFO, "", 0, line, None, None)
        assert not counter.filter(record)
    assert counted == [(done, total) for done in range(1, total + 1)]


def test_stages_are_numbered_out_of_their_total(capsys: pytest.CaptureFixture[str]) -> None:
    stage = printing.stages(3)
    for text in ("feed", "ingest", "build"):
        stage(text)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]
