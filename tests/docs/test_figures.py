"""docs/figures.md: every figure with the command that measures it, and no history of it."""

from __future__ import annotations

import re

from tests.docs.markdown import ROOT

FIGURES = ROOT / "docs" / "figures.md"
# Words that tell how a figure moved rather than what it is now.
HISTORY = re.compile(
    r"\b(that morning|the day before|yesterday|last week|previously|used to|down from|up from"
    r"|was \d|were \d|took \d|no longer|now \d)",
    re.IGNORECASE,
)


def rows() -> list[list[str]]:
    """The cells of the figures table's rows, header and rule left out."""
    lines = [line for line in FIGURES.read_text().splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return [row for row in cells[2:]]


def test_every_figure_has_the_command_that_measures_it() -> None:
    found = rows()
    assert len(found) >= 3
    for what, figure, command in found:
        assert what and re.search(r"\d", figure), what
        assert re.search(r"`[^`]+`", command), f"{what}: no command"


def test_no_figure_tells_its_history() -> None:
    text = FIGURES.read_text()
    assert HISTORY.findall(text) == []
