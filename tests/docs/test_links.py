"""Every relative link of the user docs resolves, and comments point at sections that exist.

Comments and messages of the code, the dbt project and the tool configurations point the
reader at a docs page (``docs/spark.md``) or at a section of one (``docs/delivery.md,
"Sandboxes"``); a page renamed or a heading reworded must not leave them pointing nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.docs.markdown import ROOT, anchor, doc_pages, headings, links

# Where comments point at the docs: the code, the dbt project, the tools' configurations.
COMMENTED = ["scripts", "models", "macros", "snapshots", "seeds", "data_tests", "tests", "lint"]
CONFIGURATIONS = [
    "Makefile",
    "pyproject.toml",
    ".sqlfluff",
    ".pre-commit-config.yaml",
    "dbt_project.yml",
    "profiles.yml",
    "dbt-bouncer.yml",
    "selectors.yml",
]
SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".toml", ".md", ".cfg", ""}
# `README, "Zones"`, `README's "Zones"`, `docs/spark.md, "Memory and threads"`, `docs/x.md`.
README_SECTION = re.compile(r"README(?:'s)?,?\s+\"([^\"]+)\"|README,\s+([A-Z][\w ]+)\)")
PATH_IN_TEXT = re.compile(r"(?<![\w.-])((?:\./)?[\w.-]+(?:/[\w.-]+)+/?|\.?[\w-]+\.(?:md|ya?ml))")
DOCS_PAGE = re.compile(r"(?<![\w/])docs/([\w-]+\.md)(?:#([\w-]+)|,\s+\"([^\"]+)\")?")


def commented_files() -> list[Path]:
    files = [ROOT / name for name in CONFIGURATIONS if (ROOT / name).exists()]
    for folder in COMMENTED:
        files += [
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.is_file()
            and path.suffix in SUFFIXES
            and "__pycache__" not in path.parts
            and "docs" not in path.relative_to(ROOT).parts[:2]
        ]
    return files


def _target_problem(page: Path, target: str) -> str | None:
    """Why a relative link of ``page`` does not resolve, or None."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
        return None
    path_part, _, fragment = target.partition("#")
    linked = (page.parent / unquote(path_part)).resolve() if path_part else page
    if not linked.exists():
        return f"{path_part} does not exist"
    anchors = {anchor(title) for title in headings(linked)} if linked.suffix == ".md" else set()
    if fragment and linked.suffix == ".md" and fragment not in anchors:
        return f"{linked.name} has no heading with the anchor #{fragment}"
    return None


@pytest.mark.parametrize("page", doc_pages(), ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    problems = [
        f"{page.relative_to(ROOT)}:{number}: {target}: {problem}"
        for number, target in links(page)
        if (problem := _target_problem(page, target))
    ]
    assert not problems, "\n".join(problems)


def test_the_docs_have_links_to_check() -> None:
    """The README links a page per topic: the link reader finds them (a guard on the reader)."""
    readme = dict(links(ROOT / "README.md"))
    pages = {target for target in readme.values() if target.startswith("docs/")}
    assert pages == {f"docs/{page.name}" for page in doc_pages()[1:]}


def test_the_readme_is_the_front_door_in_15_kb_or_less() -> None:
    """What the project is, the two commands, the tour and the pages: read in one sitting.

    Topics live in docs/ pages, one each, which the test above finds linked from it.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 15_000
    for command in ("make demo", "make test"):
        assert command in readme
    assert re.search(r"^## .*tour", readme, flags=re.MULTILINE | re.IGNORECASE)


def test_comments_point_at_pages_and_sections_that_exist() -> None:
    readme_sections = set(headings(ROOT / "README.md"))
    problems = []
    for path in commented_files():
        text = path.read_text(errors="replace")
        where = path.relative_to(ROOT)
        for match in README_SECTION.finditer(text):
            section = (match.group(1) or match.group(2)).strip()
            if section not in readme_sections:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{where}:{line}: the README has no section {section!r}")
        for match in DOCS_PAGE.finditer(text):
            page = ROOT / "docs" / match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            if not page.exists():
                problems.append(f"{where}:{line}: docs/{match.group(1)} does not exist")
            elif match.group(2) and match.group(2) not in map(anchor, headings(page)):
                problems.append(f"{where}:{line}: {page.name} has no anchor #{match.group(2)}")
            elif match.group(3) and match.group(3) not in headings(page):
                problems.append(f"{where}:{line}: {page.name} has no section {match.group(3)!r}")
    assert not problems, "\n".join(problems)


def test_sqlfluff_names_only_files_that_exist() -> None:
    """Paths named by .sqlfluff (its values and its comments) exist in the repository."""
    text = (ROOT / ".sqlfluff").read_text()
    named = set(PATH_IN_TEXT.findall(text))
    named |= set(re.findall(r"^\w+\s*=\s*(\.?/?[\w./-]+/[\w./-]*)$", text, re.MULTILINE))
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert named, "the reader found no path in .sqlfluff"
    assert not missing, f".sqlfluff names {', '.join(missing)}, which do not exist"
