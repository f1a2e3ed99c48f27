"""Where things are: the project root, the data folder and the warehouse files."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import jinja2
import yaml

from dataops.core.errors import DataOpsError

PROJECT_FILE = "dbt_project.yml"

# The sandbox rule, one for `dataops sandbox create` and for the dbt target `sandbox`
# (profiles.yml: its guard, the dbt-duckdb plugin dataops.delivery.sandbox_guard, applies it
# before dbt opens any file).
SANDBOX_VARIABLE = "DATAOPS_SANDBOX"
# The folders profiles.yml and dbt_project.yml read from the environment, and their default
# (relative to the project root, where plain dbt runs).
FOLDER_VARIABLES = {"DATAOPS_DATA_DIR": "data", "DATAOPS_WAREHOUSE_DIR": "warehouse"}
SANDBOX_GUARD = "dataops.delivery.sandbox_guard"
SANDBOX_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Names no analyst's sandbox takes: the catalogs DuckDB keeps for itself, prod
# (attached in every sandbox) and the other environments.
RESERVED_SANDBOX_NAMES = frozenset({"prod", "candidate", "ci", "memory", "system", "temp", "main"})
# The sandbox `dataops ci` builds a change in (and replaces on every run): the
# sandbox target takes it, `dataops sandbox create` does not.
CI_SANDBOX = "ci"


def find_project_root(start: Path | None = None) -> Path:
    """Return the folder holding ``dbt_project.yml``, searching upwards from ``start``."""
    env = os.environ.get("DATAOPS_PROJECT_DIR")
    if env:
        root = Path(env).resolve()
        if not (root / PROJECT_FILE).is_file():
            raise DataOpsError(
                f"DATAOPS_PROJECT_DIR={env} has no {PROJECT_FILE}",
                "point it at the repository root or unset it",
            )
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise DataOpsError(
        f"no {PROJECT_FILE} in {here} or any folder above it",
        "run dataops from inside the project, or set DATAOPS_PROJECT_DIR",
    )


@dataclass(frozen=True)
class Project:
    """Paths of one checkout of the project, honouring the DATAOPS_* variables."""

    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Project:
        return cls(find_project_root(start))

    def _dir(self, variable: str, default: str) -> Path:
        value = Path(os.environ.get(variable, default))
        return value if value.is_absolute() else self.root / value

    @property
    def data_dir(self) -> Path:
        return self._dir("DATAOPS_DATA_DIR", FOLDER_VARIABLES["DATAOPS_DATA_DIR"])

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def rejected_dir(self) -> Path:
        return self.landing_dir / "_rejected"

    @property
    def warehouse_dir(self) -> Path:
        return self._dir("DATAOPS_WAREHOUSE_DIR", FOLDER_VARIABLES["DATAOPS_WAREHOUSE_DIR"])

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def profile(self) -> dict:
        """The ``nycflights`` profile of ``profiles.yml``, env_var resolved.

        As dbt does, the YAML is read first and then each string value rendered on
        its own: a value from the environment (a folder with a quote, a backslash)
        never reaches the YAML parser.
        """
        path = self.root / "profiles.yml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["nycflights"]
        return _rendered(raw)

    def default_target(self) -> str:
        return str(self.profile()["target"])

    def output(self, target: str | None = None) -> tuple[str, dict]:
        """The name and settings of a dbt target of ``profiles.yml``.

        A target guarded by the sandbox rule (the target ``sandbox``) is checked as
        dbt checks it, so that no command opens a file the rule refuses.
        """
        profile = self.profile()
        name = target or str(profile["target"])
        outputs = profile["outputs"]
        if name not in outputs:
            raise DataOpsError(
                f"unknown target {name!r}",
                f"choose one of {', '.join(sorted(outputs))} (profiles.yml)",
            )
        output = outputs[name]
        for plugin in output.get("plugins") or []:
            if plugin.get("module") == SANDBOX_GUARD:
                attached = [
                    (str(item["path"]), bool(item.get("read_only")))
                    for item in output.get("attach") or []
                ]
                config = plugin.get("config") or {}
                check_sandbox_target(str(config.get("sandbox") or ""), output["path"], attached)
        return name, output

    def engine(self, target: str | None = None) -> str:
        """The dbt adapter type of a target: ``duckdb`` or ``spark``."""
        return str(self.output(target)[1]["type"])

    def warehouse_path(self, target: str | None = None) -> Path:
        """The DuckDB file of a target: its warehouse, or its ingestion log.

        A DuckDB target keeps the ingestion log in its warehouse file; a target
        on another engine (Spark) keeps it in ``<warehouse>/<target>.duckdb``,
        a DuckDB file that holds only the log.
        """
        name, output = self.output(target)
        if output["type"] != "duckdb":
            return self.warehouse_dir / f"{name}.duckdb"
        path = Path(output["path"])
        return path if path.is_absolute() else self.root / path

    def log_export_path(self, target: str | None = None) -> Path:
        """The Parquet copy of a target's ingestion log, which Spark targets read."""
        name, _output = self.output(target)
        return self.landing_dir / "_ingestion" / name / "ingested_files.parquet"


def check_sandbox_name(
    name: str, reserved: frozenset[str] = RESERVED_SANDBOX_NAMES, variable: str | None = None
) -> None:
    """Refuse a sandbox name outside the rule; ``variable`` names where it came from."""
    if variable and not name:
        raise DataOpsError(
            f"{variable} is not set: the sandbox target needs the name of a sandbox",
            f"create one with dataops sandbox create NAME, then run"
            f" {variable}=NAME dbt build -s my_model+ --target sandbox",
        )
    if SANDBOX_NAME.fullmatch(name) and name not in reserved:
        return
    rule = (
        "lowercase letters, digits and _, a letter first, 40 at most,"
        f" none of {', '.join(sorted(reserved))}"
    )
    if variable:
        raise DataOpsError(
            f"{variable}={name!r} cannot name a sandbox",
            f"set {variable} to the name of a sandbox: {rule} (dataops sandbox list shows them)",
        )
    raise DataOpsError(f"{name!r} cannot name a sandbox", f"use {rule}")


def check_sandbox_target(name: str, path: str, attached: Iterable[tuple[str, bool]]) -> None:
    """The sandbox target writes ``<warehouse>/sandboxes/<name>.duckdb`` and nothing else.

    ``name`` comes from the environment (DATAOPS_SANDBOX), ``path`` is the target's
    database file and ``attached`` its attached databases (path, read-only).
    """
    check_sandbox_name(name, RESERVED_SANDBOX_NAMES - {CI_SANDBOX}, SANDBOX_VARIABLE)
    file = PurePath(path)
    if file.name != f"{name}.duckdb" or file.parent.name != "sandboxes":
        raise DataOpsError(
            f"the sandbox target of profiles.yml writes {path}, not sandboxes/{name}.duckdb",
            "keep its path <warehouse>/sandboxes/<DATAOPS_SANDBOX>.duckdb",
        )
    for attached_path, read_only in attached:
        if not read_only:
            raise DataOpsError(
                f"the sandbox target of profiles.yml attaches {attached_path} for writing",
                "attach it with read_only: true: a sandbox writes its own file only",
            )


_PROFILE_JINJA = jinja2.Environment()
# dbt's filter that makes a rendered number a number; the value stays text here.
_PROFILE_JINJA.filters["as_number"] = lambda value: value


@functools.cache
def _template(text: str) -> jinja2.Template:
    """A value of profiles.yml compiled once per process (commands read the profile often);
    it is rendered on every read, with the environment of that moment."""
    return _PROFILE_JINJA.from_string(text)


def _rendered(value: object) -> Any:
    if isinstance(value, str):
        return _template(value).render(env_var=_env_var)
    if isinstance(value, dict):
        return {key: _rendered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item) for item in value]
    return value


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise DataOpsError(f"profiles.yml needs the environment variable {name}", "set it")
    return default
