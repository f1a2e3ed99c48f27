"""``dataops build``: dbt build for a target, and the daily run.

One build at a time on a DuckDB warehouse (``build_lock``), a warehouse another process
holds refused at once, the landed files it is about to read checked by the caller's
``check_inputs`` (``dataops.ingest.inputs.verify_inputs``: the core does not read the
ingestion log itself), and one error naming the failing nodes.

The daily run (``build(..., daily=True)``, ``dataops build -s source_status:fresher+``)
builds only what the files received since the last run reach. dbt's own selection does
it, with the selectors of ``selectors.yml``. ``dbt source freshness --selector
daily_freshness`` measures each data source's newest landed file (its ``loaded_at_query``
over the ingestion log) into ``target/sources.json``; ``dbt build --selector daily --state
<folder>`` (``source_status:fresher+``) then builds every source fresher than in the
``sources.json`` of the previous run kept in that folder, and all that is downstream of it.
A new day of flights and weather builds those two chains, the marts and the dimensions that
read the trusted flights; the reference registers, their snapshots and the calendar wait for
an extract that changes them. The ingestion log is left out of the freshness run: every
landing model reads it, so its freshness would select everything.

With no previous ``sources.json`` (the first run, or a new warehouse) everything is built.
The folder is updated after a build that succeeded only, so a failed day is built again.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Protocol

from dataops.core.dbt import DbtOutcome, refuse_locked, resource_failure, run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.files import WRITE_ERRORS, exclusive_lock, not_writable
from dataops.core.project import Project

log = logging.getLogger(__name__)

# The selection the command line spells the daily run with (``dataops build --select``);
# what it selects is defined once, by the selector ``daily`` of selectors.yml.
FRESHER = "source_status:fresher+"
FRESHNESS = ["source", "freshness", "--selector", "daily_freshness"]


class InputCheck(Protocol):
    """What checks the landed files a build of ``target`` is about to read; raises to refuse."""

    def __call__(
        self,
        project: Project,
        target: str | None,
        full_refresh: bool = False,
        ingestion_log_of: str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> object: ...


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


def build(
    project: Project,
    target: str | None = None,
    select: Sequence[str] = (),
    full_refresh: bool = False,
    ingestion_log_of: str | None = None,
    artifacts_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    daily: bool = False,
    check_inputs: InputCheck | None = None,
) -> DbtOutcome:
    """``dbt build`` for a target; raises DataOpsError when a node fails.

    ``ingestion_log_of`` (Spark targets) reads the ingestion log of another
    target, to build from the files it ingested; by default a target reads
    its own. ``check_inputs`` checks the landed files the build is about to read
    first (``dataops.ingest.inputs.verify_inputs``, ``progress(bytes_done,
    bytes_total)``): dbt does not run when it refuses. ``daily`` is the daily run
    (``fresher_build``): only what the files received since the last one reach; a
    ``select`` is then ignored.
    """
    name, output = project.output(target)
    log_of = ingestion_log_of or name
    if output["type"] != "duckdb" and not project.log_export_path(log_of).is_file():
        raise DataOpsError(
            f"no ingestion log for target {log_of} at {project.log_export_path(log_of)}",
            f"run dataops ingest --target {log_of} first",
        )
    with build_lock(project, name, output):
        if output["type"] == "duckdb":
            refuse_locked(project.warehouse_path(name), "run dataops build again")
        if check_inputs is not None:
            check_inputs(project, name, full_refresh, ingestion_log_of, progress=progress)
        return _build(
            project, target, name, select, full_refresh, ingestion_log_of, artifacts_dir, daily
        )


@contextmanager
def build_lock(project: Project, name: str, output: Mapping[str, object]) -> Iterator[None]:
    """One ``dataops build`` at a time on a DuckDB warehouse (a lock file beside it).

    DuckDB admits one writer, but dbt-duckdb closes the file whenever no node
    holds it: without this lock two builds would interleave their writes, and the
    second would fail node by node. The kernel frees the lock if the process dies.
    """
    if output["type"] != "duckdb":
        yield
        return
    warehouse = project.warehouse_path(name)
    held = ExitStack()
    try:
        held.enter_context(
            exclusive_lock(
                warehouse.with_name(f".{warehouse.name}.build.lock"),
                f"the warehouse {warehouse} is being built by another dataops build",
                "wait for it to finish, then run dataops build again",
            )
        )
    except OSError as error:
        if error.errno not in WRITE_ERRORS:
            raise
        raise not_writable(
            error,
            "the warehouse folder",
            warehouse.parent,
            "DATAOPS_WAREHOUSE_DIR",
            "run dataops build again",
        ) from error
    with held:
        yield


def _build(
    project: Project,
    target: str | None,
    name: str,
    select: Sequence[str],
    full_refresh: bool,
    ingestion_log_of: str | None,
    artifacts_dir: Path | None,
    daily: bool,
) -> DbtOutcome:
    again = "run dataops build again"
    variables = []
    if ingestion_log_of:
        variables = ["--vars", f"{{ingestion_log_target: {ingestion_log_of}}}"]
    if daily:
        # the daily run: what the files received since the last daily build reach
        outcome = fresher_build(project, name, artifacts_dir=artifacts_dir, variables=variables)
        select = ()
    else:
        command = ["build", *variables]
        if select:
            command += ["--select", *select]
        if full_refresh:
            command.append("--full-refresh")
        outcome = run_dbt(project, command, target, artifacts_dir)
    if select and not outcome.executed:
        raise DataOpsError(
            f"the selection {' '.join(select)!r} matched no model, snapshot, seed or test",
            f"check the names: dbt ls --select {' '.join(select)} lists what a selection "
            "matches; nothing was built",
        )
    if not outcome.success and (error := resource_failure(project, outcome, artifacts_dir, again)):
        raise error
    if not outcome.success:
        listed = "\n  ".join(outcome.failures) or "see the dbt output above"
        raise DataOpsError(
            f"dbt build failed on target {target or project.default_target()}:\n  {listed}",
            "fix the failing models or data; failing test rows are stored in schema test_failures",
        )
    return outcome
