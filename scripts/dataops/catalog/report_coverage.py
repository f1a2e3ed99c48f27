"""Documentation and test coverage for the observability report's dashboard, by dbt-coverage.

dbt-coverage reads the ``manifest.json`` and ``catalog.json`` of ``dbt docs
generate`` (``dataops docs`` writes both into ``target/``): per table of the
warehouse (models, seeds, snapshots, sources), how many of its columns are
described and how many are tested, and in all. The report reads them beside the
manifest it draws the lineage from; without a catalog it says what to run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dbt_coverage

from dataops.catalog.coverage import catalog_coverage

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.json"
MISSING_HINT = "run dataops docs (dbt docs generate writes catalog.json) and the report again"


def _share(report: dbt_coverage.CoverageReport) -> dict:
    return {
        "covered": len(report.covered),
        "total": len(report.total),
        "percent": None if report.coverage is None else round(100 * report.coverage, 1),
    }


def collect(manifest_path: Path | None) -> dict:
    """Coverage of the artifacts beside ``manifest_path``: totals and one row per table."""
    catalog = manifest_path.parent / CATALOG_FILE if manifest_path is not None else None
    if catalog is None or not catalog.is_file() or not manifest_path.is_file():
        return {"missing": f"no {CATALOG_FILE} beside the manifest: {MISSING_HINT}"}
    try:
        tables = catalog_coverage(manifest_path.parent)
    except (ValueError, KeyError, OSError) as error:  # a catalog of another manifest
        log.warning("coverage not computed from %s: %s", catalog, error)
        return {"missing": f"{catalog} does not match the manifest ({error}): {MISSING_HINT}"}
    docs = dbt_coverage.compute_coverage(tables, dbt_coverage.CoverageType.DOC)
    tests = dbt_coverage.compute_coverage(tables, dbt_coverage.CoverageType.TEST)
    rows = []
    for unique_id, table in sorted(tables.all_tables().items()):
        described = dbt_coverage.CoverageReport.from_table(table, dbt_coverage.CoverageType.DOC)
        tested = dbt_coverage.CoverageReport.from_table(table, dbt_coverage.CoverageType.TEST)
        rows.append(
            {
                "id": unique_id,
                "kind": unique_id.split(".", 1)[0],
                "name": table.name,
                "columns": len(table.columns),
                "described": len(described.covered),
                "tested": len(tested.covered),
                "tests": tested.hits,
            }
        )
    return {"docs": _share(docs), "tests": _share(tests), "tables": rows}
