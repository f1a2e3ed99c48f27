"""Run dbt in-process for a target, and what came of it (``run_dbt``, ``DbtOutcome``).

Every module that runs dbt (the build, publish, sandboxes, slim CI, docs, the conventions
check, the orchestration) calls it through here.

dbt is called through ``dbtRunner`` with the repository as project and
profiles folder. The data and warehouse folders (``DATAOPS_DATA_DIR``,
``DATAOPS_WAREHOUSE_DIR``) reach dbt as plain dbt sees them when they mean the same
folders from the current directory (unset, or the user's own value): the profile and
the project's variables then render the same in ``dataops`` and in ``dbt``, so that
switching between them keeps dbt's partial parse. Otherwise (another directory, a
test's folders) they are passed as absolute paths, so that the landing models find
the landed files wherever the command was started.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from dataops.core.errors import DataOpsError, is_duckdb_lock, warehouse_locked
from dataops.core.files import WRITE_ERRORS, write_errno
from dataops.core.project import FOLDER_VARIABLES, Project

log = logging.getLogger(__name__)

# The target profiles.yml chooses when DBT_TARGET is unset, and the file ``mf`` reads.
DEFAULT_TARGET = "dev"
SEMANTIC_MANIFEST = "semantic_manifest.json"


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
    """The data and warehouse folders (``folder_variables``) and the target for the dbt run."""
    values = {**folder_variables(project), **(extra or {})}
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


def folder_variables(project: Project) -> dict[str, str]:
    """The folder variables dbt must be given: none when the environment, read from the
    current directory as dbt reads it, already means the project's folders.

    profiles.yml (the DuckDB paths) and dbt_project.yml (``data_dir``) render these
    variables into what dbt hashes to decide on a partial parse: a plain ``dbt`` command
    run beside ``dataops`` sees the same values, and neither re-parses the project.
    """
    folders = {"DATAOPS_DATA_DIR": project.data_dir, "DATAOPS_WAREHOUSE_DIR": project.warehouse_dir}
    try:
        here = Path.cwd()
    except OSError:  # the current directory was removed
        return {name: str(folder) for name, folder in folders.items()}
    values = {}
    for name, folder in folders.items():
        seen = Path(os.environ.get(name, FOLDER_VARIABLES[name]))
        if (here / seen).resolve() != folder.resolve():
            values[name] = str(folder)
    return values


@dataclass
class KeptFile:
    """A file's bytes before a run (None: there was none), put back after it."""

    path: Path
    content: bytes | None

    def restore(self) -> None:
        if self.content is None:
            self.path.unlink(missing_ok=True)
        else:
            self.path.write_bytes(self.content)


def _kept_semantic_manifest(
    project: Project, target: str | None, artifacts_dir: Path | None
) -> KeptFile | None:
    """The checkout's ``target/semantic_manifest.json``, kept when a run for another target
    than the default one (``DBT_TARGET``, else dev) would overwrite it.

    ``mf`` reads that file, and it names the database of the target it was parsed for: a
    ci, sandbox or candidate run would leave ``mf query`` asking its tables of the default
    target's warehouse ("Table with name ci.marts.fct_flights does not exist").
    """
    default = os.environ.get("DBT_TARGET", DEFAULT_TARGET)
    if artifacts_dir is not None or not target or target == default:
        return None
    path = project.root / "target" / SEMANTIC_MANIFEST
    return KeptFile(path, path.read_bytes() if path.is_file() else None)


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process.

    DuckDB admits one writer per file and refuses a second connection with
    other settings in the same process; dbt-duckdb keeps its connection
    between invocations, so without this a later ingest, or a read-only
    summary, in the same process would fail.

    The close takes the environment's lock, as the resources sampler does to read
    DuckDB's memory through that connection (``dataops.observability.sampling``):
    DuckDB 2.0 refuses to close a connection another thread is using ("connection is
    busy with another call") rather than wait, and dbt-duckdb 1.11.1's ``close`` does
    not lock.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        handle = getattr(environment, "close", None)
        if handle is not None:
            with getattr(environment, "lock", nullcontext()):
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
    kept = _kept_semantic_manifest(project, target, artifacts_dir)
    with dbt_environment(project, target, env):
        try:
            result = dbtRunner(manifest=manifest).invoke(args)
        finally:
            _release_duckdb()
            if kept is not None:
                kept.restore()
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
        node = getattr(node_result, "node", None)  # run-operation's results carry none
        if node is None or node.resource_type == "operation":
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
