"""``make screenshots``: the docs' PNGs, non-empty, of their size, and shown by the docs.

On the shared three-day build (``built_days``): its report and docs site pictured
into a temporary folder by Debian's chromium.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from dataops.consumers import screenshots
from dataops.core.errors import DataOpsError
from dataops.observability import report
from tests.docs.markdown import ROOT, doc_pages, links

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) read from a PNG's header."""
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_command_writes_the_pngs_at_their_size(built_days: dict, tmp_path: Path) -> None:
    written_report = tmp_path / "report.html"
    report.generate(
        built_days["warehouse"], built_days["target_dir"] / "manifest.json", written_report
    )
    out = tmp_path / "docs"
    written = screenshots.take(written_report, built_days["docs"].path, out)
    shots = [screenshots.REPORT, screenshots.DOCS_OVERVIEW, screenshots.DOCS_LINEAGE]
    assert written == [out / shot.file for shot in shots]
    for shot, path in zip(shots, written, strict=True):
        assert path.stat().st_size > 10_000, path  # a picture, not a blank page
        assert png_size(path) == (shot.width, shot.height)
    # the report and the docs site look different
    assert len({path.read_bytes() for path in written}) == len(written)


def test_a_missing_report_says_what_to_run(built_days: dict, tmp_path: Path) -> None:
    with pytest.raises(DataOpsError, match="make demo"):
        screenshots.take(tmp_path / "report.html", built_days["docs"].path, tmp_path)
    assert not list(tmp_path.glob("*.png"))


def test_the_docs_show_every_screenshot_and_it_is_committed() -> None:
    shown = {
        (page.parent / target).resolve()
        for page in doc_pages()
        for _, target in links(page)
        if target.endswith(".png")
    }
    for shot in screenshots.SHOTS:
        path = (ROOT / "docs" / shot.file).resolve()
        assert path in shown, f"no page shows docs/{shot.file}"
        assert path.is_file()
        assert png_size(path) == (shot.width, shot.height)


def test_the_docs_overview_leaves_the_column_lineage_panel_closed(
    browser, built_days: dict
) -> None:
    """The overview's headings take ids from their titles: none may be the panel's."""
    page = browser.page
    page.goto(f"{built_days['docs'].path.as_uri()}#!/overview")
    page.wait_for_selector("#CL-open")
    page.wait_for_timeout(screenshots.SETTLE_MS)
    assert page.locator("[id='CL-panel']").count() == 1
    assert not page.locator("[id='CL-panel']").is_visible()
