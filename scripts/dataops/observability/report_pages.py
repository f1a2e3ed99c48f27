"""The report's pages kept in their own modules: what each collects and draws, in tab order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.observability import report_activity, report_operations, report_profiles


@dataclass(frozen=True)
class ReportPage:
    """A page of the report kept in its own files, beside the built-in pages.

    ``collect(con, warehouse)`` reads what the page shows (the warehouse open
    read-only) and lands in the payload under ``name``; ``html`` is an asset
    holding the page's ``<section id="page-NAME" class="page" hidden>``;
    ``script`` an asset that registers the page's drawing function as
    ``window.REPORT_PAGES.NAME = function (kit) {...}`` (``kit`` carries the
    report's helpers: ``$``, ``make``, ``table``, ``layout``, ``fmt``, ...).
    """

    name: str
    title: str
    collect: Callable[[duckdb.DuckDBPyConnection, Path], object]
    html: str
    script: str


# The pages kept in their own modules, in the order of their tabs after the built-in ones.
PAGES: tuple[ReportPage, ...] = (
    ReportPage("profiles", "Profiles", report_profiles.collect, "profiles.html", "profiles.js"),
    ReportPage(
        "operations",
        "Operations",
        report_operations.collect,
        "operations.html",
        "operations.js",
    ),
    ReportPage("activity", "Activity", report_activity.collect, "activity.html", "activity.js"),
)
