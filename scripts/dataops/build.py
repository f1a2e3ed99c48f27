"""Run dbt in-process for a target.

dbt is called through ``dbtRunner`` with the repository as project and
profiles folder; the data and warehouse folders are passed to it as absolute
paths (``DATAOPS_DATA_DIR``, ``DATAOPS_WAREHOUSE_DIR``) so that the landing
models find the landed files wherever the command was started.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dataops import verify
from dataops.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.files import exclusive_lock
from dataops.landing import WRITE_ERRORS, not_writable, write_errno
from dataops.project import Project
from dataops.zones import LANDING_RELATIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailedNode:
    """A node that failed or errored, with the failing-row count of a test."""

    unique_id: str
    status: str
    failing_rows: int | None
    message: str


@dataclass
class DbtOutcome:
    """What one dbt invocation did: statuses counted per kind of node."""

    command: str
    success: bool
    models: Counter[str] = field(default_factory=Counter)
    tests: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failed_nodes: list[FailedNode] = field(default_factory=list)
    # every node that ran (models, tests, snapshots), in the order dbt reported them
    executed: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    # seconds dbt spent running nodes (parsing excluded)
    elapsed: float = 0.0
    # dbt's own result: the Manifest of a `dbt parse`, to hand to later runs (run_dbt)
    result: object = field(default=None, repr=False)

    @property
    def tests_line(self) -> str:
        passed = self.tests.get("pass", 0)
        warned = self.tests.get("warn", 0)
        failed = self.tests.get("fail", 0) + self.tests.get("error", 0)
        skipped = self.tests.get("skipped", 0)
        return f"{passed} passed, {warned} warned, {failed} failed, {skipped} skipped"


@contextmanager
def dbt_environment(
    project: Project, target: str | None, extra: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Absolute data and warehouse folders (and the target) for the dbt run."""
    values = {
        "DATAOPS_DATA_DIR": str(project.data_dir),
        "DATAOPS_WAREHOUSE_DIR": str(project.warehouse_dir),
        **(extra or {}),
    }
    if target:
        values["DBT_TARGET"] = target
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process.

    DuckDB admits one writer per file and refuses a second connection with
    other settings in the same process; dbt-duckdb keeps its connection
    between invocations, so without this a later ingest, or a read-only
    summary, in the same process would fail.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        handle = getattr(environment, "close", None)
        if handle is not None:
            handle()
    DuckDBConnectionManager.close_all_connections()


_QUOTED_PATH = re.compile(r'"(/[^"]+)"')


def resource_error(
    project: Project, cause: BaseException | str, artifacts_dir: Path | None, then: str
) -> DataOpsError | None:
    """The error to raise when dbt failed for want of the warehouse, not for a model.

    Another process holding the warehouse (DuckDB admits one writer), or a folder dbt
    writes that is full, read-only or not ours: one line naming it and what to do,
    instead of a failure per node. None for any other failure.
    """
    if is_duckdb_lock(str(cause)):
        return warehouse_locked(cause, then=then)
    number = write_errno(str(cause))
    if number is None:
        return None
    quoted = _QUOTED_PATH.search(str(cause))
    filename = getattr(cause, "filename", None)
    where = Path(quoted.group(1) if quoted else filename or artifacts_dir or project.root)
    elsewhere = (
        ", or point DATAOPS_WAREHOUSE_DIR at another folder"
        if where.is_relative_to(project.warehouse_dir)
        else ""
    )
    return DataOpsError(
        f"dbt stopped: {os.strerror(number)} at {where}",
        f"{WRITE_ERRORS[number]}{elsewhere}, then {then}",
    )


def resource_failure(
    project: Project, outcome: DbtOutcome, artifacts_dir: Path | None, then: str
) -> DataOpsError | None:
    """``resource_error`` of the first failed node that failed for want of the warehouse."""
    for node in outcome.failed_nodes:
        if error := resource_error(project, node.message, artifacts_dir, then):
            return error
    return None


def refuse_locked(warehouse: Path, then: str) -> None:
    """Refuse at once, rather than node by node, a warehouse another process is writing."""
    import duckdb

    if not warehouse.is_file():
        return
    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.Error as error:
        if is_duckdb_lock(error):
            raise warehouse_locked(error, warehouse, then=then) from error


def run_dbt(
    project: Project,
    command: Sequence[str],
    target: str | None = None,
    artifacts_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    manifest: object | None = None,
) -> DbtOutcome:
    """Run ``dbt <command>`` in-process and count what happened.

    ``artifacts_dir`` moves dbt's target/ and logs/ (tests use a temporary
    folder so that they never touch the checkout's artefacts); ``env`` adds
    environment variables for the run (``DATAOPS_SANDBOX``). ``manifest``, the
    ``result`` of a ``parse`` run of the same project, target and ``--vars``,
    spares this run dbt's parse.
    """
    from dbt.cli.main import dbtRunner

    args = [
        *command,
        "--project-dir",
        str(project.root),
        "--profiles-dir",
        str(project.root),
    ]
    if target:
        args += ["--target", target]
    if not sys.stdout.isatty():
        # dbt colours each result's status inside the message, which its log file
        # keeps (use_colors_file drops only the colour of a line's prefix): colours
        # in a terminal only
        args.append("--no-use-colors")
    if artifacts_dir is not None:
        args += ["--target-path", str(artifacts_dir / "target")]
        args += ["--log-path", str(artifacts_dir / "logs")]
    project.warehouse_dir.mkdir(parents=True, exist_ok=True)
    log.debug("dbt %s", " ".join(args))
    with dbt_environment(project, target, env):
        try:
            result = dbtRunner(manifest=manifest).invoke(args)
        finally:
            _release_duckdb()
    outcome = DbtOutcome(
        command=" ".join(command), success=bool(result.success), result=result.result
    )
    if result.exception is not None:
        then = "run the command again"
        if error := resource_error(project, result.exception, artifacts_dir, then):
            raise error from result.exception
        raise DataOpsError(
            f"dbt {outcome.command} could not run: {result.exception}",
            "read the message above; logs/dbt.log has the details",
        )
    outcome.elapsed = float(getattr(result.result, "elapsed_time", 0.0) or 0.0)
    for node_result in getattr(result.result, "results", None) or []:
        node = node_result.node
        if node.resource_type == "operation":
            continue  # the project's hooks run with every invocation: not nodes of the graph
        status = str(node_result.status).lower()
        if node.resource_type in ("test", "unit_test"):
            outcome.tests[status] += 1
        else:
            outcome.models[status] += 1
        outcome.executed.append(node.unique_id)
        outcome.statuses[node.unique_id] = status
        if status in ("fail", "error"):
            outcome.failures.append(f"{node.unique_id}: {node_result.message}")
            failing = getattr(node_result, "failures", None)
            outcome.failed_nodes.append(
                FailedNode(node.unique_id, status, failing, str(node_result.message or ""))
            )
    return outcome


def verify_inputs(
    project: Project,
    target: str | None,
    full_refresh: bool = False,
    ingestion_log_of: str | None = None,
    refused: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> verify.VerifyResult:
    """Re-hash the landed files a build of ``target`` is about to read; refuse if one differs.

    The landing models read the landed files whose SHA-256 is not in their
    ``_file_sha256`` yet (every file on a full refresh): on a DuckDB target
    exactly those are checked. A Spark target's landing tables are in Spark,
    which dataops does not start for this: every landed file of the log it
    reads is checked. Raises DataOpsError naming each changed or missing file,
    led by ``refused`` (default: ``dataops build ... refused``).
    """
    name, output = project.output(target)
    if output["type"] == "duckdb":
        loaded = None if full_refresh else LANDING_RELATIONS
        result = verify.inputs(project, name, loaded, progress)
    else:
        result = verify.inputs(project, ingestion_log_of or name, None, progress, required=True)
    refresh = " --full-refresh" if full_refresh else ""
    verify.require_intact(result, refused or f"dataops build{refresh} on target {name} refused")
    log.info("%s", result.summary)
    return result


def build(
    project: Project,
    target: str | None = None,
    select: Sequence[str] = (),
    full_refresh: bool = False,
    ingestion_log_of: str | None = None,
    artifacts_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DbtOutcome:
    """``dbt build`` for a target; raises DataOpsError when a node fails.

    ``ingestion_log_of`` (Spark targets) reads the ingestion log of another
    target, to build from the files it ingested; by default a target reads
    its own. The landed files the build is about to read are verified first
    (``verify_inputs``, ``progress(bytes_done, bytes_total)``): dbt does not
    run when one of them changed or is missing. ``select=["source_status:fresher+"]``
    is the daily run (``dataops.daily``): only what the files received since reach.
    """
    name, output = project.output(target)
    log_of = ingestion_log_of or name
    if output["type"] != "duckdb" and not project.log_export_path(log_of).is_file():
        raise DataOpsError(
            f"no ingestion log for target {log_of} at {project.log_export_path(log_of)}",
            f"run dataops ingest --target {log_of} first",
        )
    with build_lock(project, name, output):
        return _build(
            project, target, name, select, full_refresh, ingestion_log_of, artifacts_dir, progress
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
    progress: Callable[[int, int], None] | None,
) -> DbtOutcome:
    again = "run dataops build again"
    if project.output(target)[1]["type"] == "duckdb":
        refuse_locked(project.warehouse_path(name), again)
    verify_inputs(project, name, full_refresh, ingestion_log_of, progress=progress)
    from dataops import daily

    variables = []
    if ingestion_log_of:
        variables = ["--vars", f"{{ingestion_log_target: {ingestion_log_of}}}"]
    if list(select) == [daily.FRESHER] and not full_refresh:
        # the daily run: what the files received since the last daily build reach
        outcome = daily.fresher_build(
            project, name, artifacts_dir=artifacts_dir, variables=variables
        )
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
