"""The Python package's own rules: modules of a readable size, and the layers of its imports.

The layers are an import-linter contract (pyproject.toml, ``[tool.importlinter]``), checked by
``lint-imports`` in pre-commit; here it is checked to hold, and to fail on a copy of the
package that breaks it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "scripts" / "dataops"
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
LAYERS = "The layers: cli and orchestration, bench, the capabilities, core"
ACYCLIC = "No import cycles between the modules of a folder, nor between folders"
ML_APART = "The analysis backbone imports no benchmark and no generator"


def lint_imports(scripts: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package under ``scripts`` with the contracts of ``config``."""
    env = {**os.environ, "PYTHONPATH": str(scripts)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", str(config)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_keeps_its_import_contracts() -> None:
    result = lint_imports(PACKAGE.parent, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (LAYERS, ACYCLIC, ML_APART):
        assert f"{contract} KEPT" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "added", "broken"),
    [
        ("core/errors.py", "from dataops.cli import group", LAYERS),  # upward: core -> cli
        ("ingest/inbox.py", "from dataops.ingest import run", ACYCLIC),  # run imports inbox
        ("ml/gate.py", "from dataops.bench import models", ML_APART),
    ],
)
def test_the_contracts_fail_on_a_package_that_breaks_them(
    tmp_path: Path, module: str, added: str, broken: str
) -> None:
    scripts = tmp_path / "scripts"
    shutil.copytree(PACKAGE, scripts / "dataops", ignore=shutil.ignore_patterns("__pycache__"))
    path = scripts / "dataops" / module
    path.write_text(
        path.read_text(encoding="utf-8") + f"\n{added}  # noqa: E402, F401\n", encoding="utf-8"
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(scripts, tmp_path / "pyproject.toml")
    assert result.returncode != 0, result.stdout
    assert f"{broken} BROKEN" in " ".join(result.stdout.split()), result.stdout


# A module says one thing: past this many lines it is split (the CLI into its command
# families, running dbt (dataops.core.dbt) apart from the build (dataops.core.build)).
MODULE_MAX_LINES = 400


def test_no_module_of_the_package_is_over_400_lines() -> None:
    package = PACKAGE
    lengths = {
        path.relative_to(package).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(package.rglob("*.py"))
    }
    assert len(lengths) > 30, lengths  # the package was found
    assert {name: n for name, n in lengths.items() if n > MODULE_MAX_LINES} == {}
