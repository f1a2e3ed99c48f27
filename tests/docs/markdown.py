"""Reading the user docs (README.md, docs/*.md): headings, anchors, links, fenced blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*(\S*)(.*)$")


def doc_pages(root: Path = ROOT) -> list[Path]:
    """README.md and every page under docs/."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _outside_fences(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines not inside a fenced block."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match and (fence is None or match.group(2).startswith(fence)):
            fence = None if fence else match.group(2)
            continue
        if fence is None:
            lines.append((number, line))
    return lines


def headings(page: Path) -> list[str]:
    """The titles of a page's headings (# to ######), outside fenced blocks."""
    return [
        line.lstrip("#").strip()
        for _, line in _outside_fences(page.read_text())
        if re.match(r"#{1,6} ", line)
    ]


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as hyphens."""
    title = re.sub(r"`", "", title.strip().lower())
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")


def links(page: Path) -> list[tuple[int, str]]:
    """(line number, target) of each Markdown link and image of a page, outside code."""
    found = []
    for number, line in _outside_fences(page.read_text()):
        line = re.sub(r"`[^`]*`", "", line)
        found += [(number, match.group(1)) for match in LINK.finditer(line)]
    return found


@dataclass(frozen=True)
class Block:
    """A fenced block of a page: its language, its info string's words and its text."""

    page: Path
    line: int
    language: str
    words: tuple[str, ...]
    text: str


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the line its fence opens on."""
    found, fence, start, language, words, body = [], None, 0, "", (), []
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence, start, body = match.group(2), number, []
            language, words = match.group(3), tuple(match.group(4).split())
        elif fence is not None and match and match.group(2).startswith(fence):
            found.append(Block(page, start, language, words, "\n".join(body) + "\n"))
            fence = None
        elif fence is not None:
            body.append(line)
    return found
