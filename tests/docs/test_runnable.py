"""The docs' shell blocks marked runnable (```` ```sh runnable ````) run, and succeed.

Each block runs alone with ``bash -eo pipefail``, in a fresh copy of the project whose
data and warehouse folders are copies of the shared three-day build (``built_days``, the
ci target, ``DBT_TARGET=ci``); a block that exits non-zero fails with its page and line.
Mark only blocks that are safe and take seconds: help, checks, queries of the built
warehouse.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.markdown import ROOT, Block, blocks, doc_pages
from tests.docs.workspace import copy_project, environment

MARKER = "runnable"
SHELLS = frozenset({"sh", "bash", "shell"})
SECONDS = 300


def runnable(pages: list[Path]) -> list[Block]:
    """The shell blocks of the pages whose info string says ``runnable``."""
    return [
        block
        for page in pages
        for block in blocks(page)
        if block.language in SHELLS and MARKER in block.words
    ]


@dataclass(frozen=True)
class Ran:
    block: Block
    returncode: int
    output: str

    def where(self, root: Path = ROOT) -> str:
        page = self.block.page
        name = page.relative_to(root) if page.is_relative_to(root) else page
        return f"{name}:{self.block.line}"


def run_block(block: Block, cwd: Path, env: dict[str, str]) -> Ran:
    """The block's text run by ``bash -eo pipefail`` in ``cwd``: its exit code and output."""
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", block.text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    return Ran(block, done.returncode, done.stdout + done.stderr)


BLOCKS = runnable(doc_pages())


def test_the_docs_mark_blocks_runnable() -> None:
    """The README and at least two docs pages have runnable blocks (else nothing is run)."""
    pages = {block.page.name for block in BLOCKS}
    assert "README.md" in pages
    assert len(pages) >= 3


def test_a_failing_block_names_its_page_and_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n```sh runnable\ntrue\n```\n\ntext\n\n```sh runnable\necho out\nfalse | cat\n"
        "exit 3\n```\n\n```sh\nfalse\n```\n"
    )
    found = runnable([page])
    assert [block.line for block in found] == [3, 9]
    ran = [run_block(block, tmp_path, {"PATH": "/usr/bin:/bin"}) for block in found]
    assert ran[0].returncode == 0
    # pipefail: `false | cat` ends the block before `exit 3`
    assert ran[1].returncode == 1
    assert ran[1].output == "out\n"
    assert ran[1].where(tmp_path) == "page.md:9"


@pytest.fixture
def prepared(tmp_path: Path, built_days: dict) -> tuple[Path, dict[str, str]]:
    """A fresh copy of the project over a copy of the three-day build, on the ci target."""
    project = copy_project(tmp_path / "project")
    base = built_days["base"]
    shutil.copytree(base / "data", tmp_path / "data")
    shutil.copytree(
        base / "warehouse", tmp_path / "warehouse", ignore=shutil.ignore_patterns("*.tmp")
    )
    env = environment(project, tmp_path / "data", tmp_path / "warehouse", DBT_TARGET="ci")
    return project, env


@pytest.mark.parametrize(
    "block", BLOCKS, ids=[f"{block.page.name}:{block.line}" for block in BLOCKS]
)
def test_a_runnable_block_succeeds(block: Block, prepared: tuple[Path, dict[str, str]]) -> None:
    project, env = prepared
    ran = run_block(block, project, env)
    assert ran.returncode == 0, f"{ran.where()}: exit {ran.returncode}\n{ran.output[-4000:]}"
