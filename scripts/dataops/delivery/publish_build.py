"""The candidate's dbt run: the day's work by default, everything on demand.

A publish parses once (``dbt parse``, its manifest handed to the later runs), measures
each data source's freshness (``dbt source freshness --selector daily_freshness``), then
builds:

- the day's work (the default): ``dbt build --selector daily --state <prod's artifacts>``,
  what the sources fresher than at prod's publish reach (selectors.yml, and
  ``dataops.core.build`` for why the ingestion log is left out). A new day of flights
  and weather builds those chains and the marts; a new reference extract its snapshot
  and dimensions. The candidate is a copy of prod, so what is not rebuilt is prod's.
  Its tests read the rows it wrote (``DATAOPS_AUDIT_ROWS=changed``): an incremental
  model's changed days, a landing model's (and its staging view's) rows of the files
  received after prod's newest (``DATAOPS_AUDIT_FILES_AFTER``), tables whole (macro
  ``audit_changed_rows_filter``); unit tests, which check code, are left to CI and the
  full audit;
- everything (``--full-audit``, ``--full-refresh``, a prod published without a kept
  freshness, or a publish that brings no new file): a plain ``dbt build``.

The freshness the build compared with is prod's: ``sources.json`` is saved with prod's
artifacts by the swap only, so a refused or failed publish leaves it as it was and the
next publish builds its days again.

dbt's partial parse: the candidate's folder is new at each publish, so the parse state
(``partial_parse.msgpack``) of the last publish that went through is kept beside it
(``Places.parse_state``) and put into the new candidate's ``target/`` before dbt runs.
dbt checks that file against the project, the profile and the vars itself and parses in
full when it does not match; a publish that did not go through never replaces it.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dataops.core.build import FRESHNESS
from dataops.core.dbt import DbtOutcome, run_dbt
from dataops.core.project import Project

log = logging.getLogger(__name__)

PARSE_STATE = "partial_parse.msgpack"
AUDIT_ROWS = "DATAOPS_AUDIT_ROWS"
AUDIT_FILES_AFTER = "DATAOPS_AUDIT_FILES_AFTER"
SOURCES = "sources.json"


@dataclass
class CandidateBuild:
    """The build of the candidate, its selection and the seconds of each step."""

    outcome: DbtOutcome
    daily: bool
    phases: dict[str, float] = field(default_factory=dict)


def restore_parse_state(kept: Path, target_dir: Path) -> bool:
    """Put the kept parse state into a new candidate's dbt target folder; True if there was one."""
    if not kept.is_file():
        return False
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(kept, target_dir / PARSE_STATE)
    return True


def keep_parse_state(target_dir: Path, kept: Path) -> None:
    """Keep the parse state of a publish that went through (temporary file, then rename)."""
    source = target_dir / PARSE_STATE
    if not source.is_file():
        return
    kept.parent.mkdir(parents=True, exist_ok=True)
    temporary = kept.with_name(f".{kept.name}.tmp")
    shutil.copy2(source, temporary)
    os.replace(temporary, kept)


def build_candidate(
    project: Project,
    target: str,
    artifacts_dir: Path,
    state: Path,
    *,
    daily: bool,
    full_refresh: bool = False,
    files_after: datetime | None = None,
) -> CandidateBuild:
    """Parse, measure the sources' freshness, build the day's work (``daily``) or everything.

    ``state`` holds the ``sources.json`` of prod's publish; without it everything is built.
    ``files_after``: when prod's newest file was received; the day's landing rows are
    those of the files received since.
    """
    phases: dict[str, float] = {}
    started = time.monotonic()
    parsed = run_dbt(project, ["parse", "--no-write-json"], target, artifacts_dir)
    phases["parse"] = time.monotonic() - started
    if not parsed.success:
        return CandidateBuild(parsed, daily, phases)
    started = time.monotonic()
    manifest = parsed.result
    # a source past its error threshold fails the freshness run, not the build
    run_dbt(project, FRESHNESS, target, artifacts_dir, manifest=manifest)
    command = ["build"]
    daily = daily and not full_refresh and (state / SOURCES).is_file()
    if daily:
        # unit tests check the models' code, which CI and the full audit test: a day's
        # publish tests its data
        command += ["--selector", "daily", "--state", str(state)]
        command += ["--exclude-resource-type", "unit_test"]
    elif full_refresh:
        command.append("--full-refresh")
    log.info("candidate: dbt %s", " ".join(command))
    # the day's build tests the rows it wrote (macro audit_changed_rows_filter)
    env = {AUDIT_ROWS: "changed" if daily else "all"}
    if daily and files_after is not None:
        env[AUDIT_FILES_AFTER] = files_after.isoformat(sep=" ")
    outcome = run_dbt(project, command, target, artifacts_dir, env=env, manifest=manifest)
    phases["build"] = time.monotonic() - started
    return CandidateBuild(outcome, daily, phases)
