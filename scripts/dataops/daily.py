"""The daily run: build only what the files received since the last run reach.

dbt's own selection does it, with the selectors of ``selectors.yml``. ``dbt source
freshness --selector daily_freshness`` measures each data source's newest landed file (its
``loaded_at_query`` over the ingestion log) into ``target/sources.json``; ``dbt build
--selector daily --state <folder>`` (``source_status:fresher+``) then builds every source
fresher than in the ``sources.json`` of the previous run kept in that folder, and all that
is downstream of it. A new day of flights and weather builds those two chains, the marts
and the dimensions that read the trusted flights; the reference registers, their snapshots
and the calendar wait for an extract that changes them. The ingestion log is left out of
the freshness run: every landing model reads it, so its freshness would select everything.

With no previous ``sources.json`` (the first run, or a new warehouse) everything is built.
The folder is updated after a build that succeeded only, so a failed day is built again.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from dataops.build import DbtOutcome, run_dbt
from dataops.project import Project

log = logging.getLogger(__name__)

# The selection ``dataops build --select`` recognises as the daily run; what it selects
# is defined once, by the selector ``daily`` of selectors.yml.
FRESHER = "source_status:fresher+"
FRESHNESS = ["source", "freshness", "--selector", "daily_freshness"]


def state_dir(warehouse_dir: Path, target: str) -> Path:
    """Where the freshness of the last successful daily build of ``target`` is kept."""
    return warehouse_dir / f"{target}.freshness"


def fresher_build(
    project: Project,
    target: str,
    extra: Sequence[str] = (),
    artifacts_dir: Path | None = None,
    variables: Sequence[str] = (),
) -> DbtOutcome:
    """``dbt source freshness``, then ``dbt build`` of what the fresher sources reach.

    ``extra`` is added to the build's arguments (``--exclude-resource-type``),
    ``variables`` (``--vars ...``) to the parse both runs share: parsing is most of
    the fixed cost of a small run, so dbt parses once.
    """
    state = state_dir(project.warehouse_dir, target)
    previous = state / "sources.json"
    # --no-write-json: the freshness run and the build each write manifest.json (0.1 to
    # 0.4 s a copy for this project); the parse's own copy would only be overwritten
    parsed = run_dbt(project, ["parse", "--no-write-json", *variables], target, artifacts_dir)
    if not parsed.success:
        return parsed
    manifest = parsed.result
    # A source past its error threshold fails the freshness run, not the build.
    run_dbt(project, FRESHNESS, target, artifacts_dir, manifest=manifest)
    current = (artifacts_dir or project.root) / "target" / "sources.json"
    command = ["build", *variables, *extra]
    if previous.is_file():
        command += ["--selector", "daily", "--state", str(state)]
    else:
        log.info("no freshness kept for target %s yet: building everything", target)
    outcome = run_dbt(project, command, target, artifacts_dir, manifest=manifest)
    if outcome.success and current.is_file():
        state.mkdir(parents=True, exist_ok=True)
        shutil.copy2(current, previous)
    return outcome
