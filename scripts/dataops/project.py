"""Where things are: the project root, the data folder and the warehouse files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from dataops.errors import DataOpsError

PROJECT_FILE = "dbt_project.yml"


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
        return self._dir("DATAOPS_DATA_DIR", "data")

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
        return self._dir("DATAOPS_WAREHOUSE_DIR", "warehouse")

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def profile(self) -> dict:
        """The rendered ``nycflights`` profile of ``profiles.yml`` (env_var resolved)."""
        path = self.root / "profiles.yml"
        environment = jinja2.Environment()
        # dbt's filter that keeps a rendered number a number (YAML parses it as one here).
        environment.filters["as_number"] = lambda value: value
        template = environment.from_string(path.read_text(encoding="utf-8"))
        rendered = template.render(env_var=_env_var)
        return yaml.safe_load(rendered)["nycflights"]

    def default_target(self) -> str:
        return str(self.profile()["target"])

    def output(self, target: str | None = None) -> tuple[str, dict]:
        """The name and settings of a dbt target of ``profiles.yml``."""
        profile = self.profile()
        name = target or str(profile["target"])
        outputs = profile["outputs"]
        if name not in outputs:
            raise DataOpsError(
                f"unknown target {name!r}",
                f"choose one of {', '.join(sorted(outputs))} (profiles.yml)",
            )
        return name, outputs[name]

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


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise DataOpsError(f"profiles.yml needs the environment variable {name}", "set it")
    return default
