"""make test installs the Debian packages its tests need, or says in one line what to run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "install-system-packages"
BASH = "/bin/bash"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A PATH of stubs only: apt-get records its arguments; `id -u` answers $STUB_UID."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir, "apt-get", f'echo "$*" >> {tmp_path / "apt.log"}')
    _stub(bin_dir, "id", 'echo "$STUB_UID"')
    return bin_dir


def _run(bin_dir: Path, uid: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bin_dir), "STUB_UID": str(uid), "HOME": str(bin_dir)}
    return subprocess.run(
        [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def _apt_calls(bin_dir: Path) -> list[str]:
    log = bin_dir.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_root_installs_what_is_missing(machine: Path) -> None:
    result = _run(machine, uid=0)

    assert result.returncode == 0, result.stderr
    update, install = _apt_calls(machine)
    assert update == "update -qq"
    assert install.startswith("install -y -qq --no-install-recommends")
    assert install.split()[-2:] == ["chromium", "openjdk-17-jre-headless"]


def test_only_the_missing_package_is_installed(machine: Path) -> None:
    _stub(machine, "java", "exit 0")

    result = _run(machine, uid=0)

    assert result.returncode == 0, result.stderr
    assert _apt_calls(machine)[-1].split()[-1] == "chromium"
    assert "openjdk" not in " ".join(_apt_calls(machine))


def test_nothing_happens_when_everything_is_there(machine: Path) -> None:
    _stub(machine, "java", "exit 0")
    _stub(machine, "chromium", "exit 0")

    result = _run(machine, uid=0)

    assert result.returncode == 0
    assert _apt_calls(machine) == []
    assert result.stderr == ""


def test_without_root_one_line_says_what_to_run(machine: Path) -> None:
    result = _run(machine, uid=1000)

    assert result.returncode == 1
    assert _apt_calls(machine) == []
    [line] = result.stderr.splitlines()
    assert (
        "sudo apt-get install -y --no-install-recommends chromium openjdk-17-jre-headless" in line
    )


def test_make_test_runs_it_before_pytest() -> None:
    """The README's test command needs nothing else: .ci/run only calls make test."""
    dry_run = subprocess.run(
        ["make", "-n", "pytest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    ).stdout.splitlines()
    install = next(i for i, line in enumerate(dry_run) if "install-system-packages" in line)
    pytest_run = next(
        i for i, line in enumerate(dry_run) if line.split(" ", 1)[0].endswith("/pytest")
    )
    assert install < pytest_run
    ci_lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ci_lines[-1] == "make test"
    assert not any("apt-get" in line for line in ci_lines)
