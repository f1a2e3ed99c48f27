"""The Makefile's installs: a line per step on the terminal, pip's whole output in a log file.

``scripts/pip_install_steps.py`` runs the real pip of this venv, offline (``--no-index``), on
the project's own pinned dependencies, which are installed (pip resolves them all and installs
none), and on a package that does not exist (pip fails).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "pip_install_steps.py"
MAKEFILE = ROOT / "Makefile"
STEP_LINE = re.compile(r"^  +\d+ s  \S")


def steps(log: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(log), "--no-index", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_an_install_prints_a_line_per_step_and_logs_pip_whole(tmp_path: Path) -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    log = tmp_path / "build" / "install.log"

    installed = steps(log, *pins)

    assert installed.returncode == 0, installed.stderr
    shown = installed.stdout.splitlines()
    assert all(STEP_LINE.match(line) for line in shown), shown
    pip_lines = log.read_text().splitlines()
    resolved = sum(line.startswith("Requirement already satisfied: ") for line in pip_lines)
    assert resolved >= len(pins)
    # a line to start, one per 25 packages, one at the end: pip's hundreds of lines stay in the log
    assert len(shown) == 2 + resolved // 25, shown
    assert str(log) in shown[0] and f"done: {resolved} packages resolved" in shown[-1]
    assert len(pip_lines) > 3 * len(shown)


def test_a_failed_install_exits_as_pip_did_and_shows_its_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "install.log"
    log.write_text("an earlier install's line\n")

    failed = steps(log, "no-such-package-of-the-demo")

    assert failed.returncode == 1
    assert "No matching distribution found for no-such-package-of-the-demo" in failed.stderr
    assert f"its whole output: {log}" in failed.stderr
    assert "an earlier install's line" not in failed.stderr
    assert log.read_text().startswith("an earlier install's line\n")  # appended, not replaced


def test_the_makefile_installs_through_the_steps_never_a_silent_pip() -> None:
    text = MAKEFILE.read_text()
    assert "pip install --quiet" not in text
    recipes = [line for line in text.splitlines() if line.startswith("\t")]
    assert sum("$(PIP_STEPS)" in line for line in recipes) >= 4
