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
        template = jinja2.Template(path.read_text(encoding="utf-8"))
        rendered = template.render(env_var=_env_var)
        return yaml.safe_load(rendered)["nycflights"]

    def default_target(self) -> str:
        return str(self.profile()["target"])

    def warehouse_path(self, target: str | None = None) -> Path:
        """The DuckDB file of a dbt target, as ``profiles.yml`` declares it."""
        profile = self.profile()
        name = target or str(profile["target"])
        outputs = profile["outputs"]
        if name not in outputs:
            raise DataOpsError(
                f"unknown target {name!r}",
                f"choose one of {', '.join(sorted(outputs))} (profiles.yml)",
            )
        path = Path(outputs[name]["path"])
        return path if path.is_absolute() else self.root / path


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise DataOpsError(f"profiles.yml needs the environment variable {name}", "set it")
    return default
