"""The docs site opens on its overview, readable: nothing the column lineage panel adds
takes the place of a heading of the overview.

dbt's docs give each Markdown heading the id of its text (``## Column lineage`` is
``column-lineage``); an element of the panel with the same id would take its style (the
panel is a fixed overlay) and cover the page. The browser test opens the docs of
``built_days`` (three days of 2013 built on ci) in Debian's chromium.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.observability.test_browser import Watched

pytestmark = pytest.mark.e2e

# dbt's docs render a heading's id with marked: the text lowercased, every run of
# non-word characters one hyphen (the renderer's `heading` in dbt's index.html).
SLUG_RULE = 'toLowerCase().replace(/[^\\w]+/g,"-")'


def heading_id(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower(), flags=re.ASCII)


def test_overview_is_visible_and_no_panel_id_is_a_heading_id(
    browser: Watched, built_days: dict
) -> None:
    path = built_days["docs"].path
    assert SLUG_RULE in path.read_text(encoding="utf-8"), "dbt's heading ids changed"
    page = browser.page
    page.goto(path.as_uri())
    page.wait_for_selector("#CL-open")
    page.wait_for_selector("h2")
    # the overview's headings (the other pages' are not drawn)
    headings = page.locator("h1[id]:visible, h2[id]:visible, h3[id]:visible")
    assert headings.count() >= 2
    for index in range(headings.count()):
        heading = headings.nth(index)
        heading.scroll_into_view_if_needed()
        box = heading.bounding_box()
        assert box is not None
        # the element drawn at the heading's centre is the heading (nothing covers it)
        covered = page.evaluate(
            """([x, y, id]) => {
                const hit = document.elementFromPoint(x, y);
                if (hit === null) return 'nothing';
                return hit.closest('#' + CSS.escape(id)) ? '' : hit.outerHTML.slice(0, 80);
            }""",
            [
                box["x"] + box["width"] / 2,
                box["y"] + box["height"] / 2,
                heading.get_attribute("id"),
            ],
        )
        assert covered == "", (heading.inner_text(), covered)
        assert heading.evaluate("e => getComputedStyle(e).position") != "fixed"
    browser.shot("docs-overview-visible")

    ids = page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)")
    assert [name for name, seen in Counter(ids).items() if seen > 1] == []
    panel_ids = page.evaluate(
        "Array.from(document.querySelectorAll('#CL-panel [id], #CL-panel, #CL-open'))"
        ".map(e => e.id)"
    )
    assert len(panel_ids) > 10
    assert [name for name in panel_ids if heading_id(name) == name] == []
    assert browser.external == []
    assert browser.errors == []
