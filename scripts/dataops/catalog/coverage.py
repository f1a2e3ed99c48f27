"""Description coverage of the dbt project: dbt-coverage for the columns, this module for the rest.

Everything a user browses in the docs must say what it is. dbt-coverage's docs
coverage (``dbt-coverage compute doc``) counts every column the warehouse holds
(``catalog.json``) of the models, seeds, snapshots and sources, described or
not in the YAML. What the docs site shows besides, and dbt-coverage does not
count, is counted here:

- the description of each model, snapshot, seed and source table itself
  (dbt-coverage counts columns only);
- columns declared in the YAML that the warehouse does not hold (the docs list
  them all the same; dbt-coverage walks the catalog's columns);
- singular data tests, exposures, the semantic layer (semantic models with their
  entities, dimensions and measures, metrics, saved queries), and the project's own
  macros with their arguments (none of them is in the catalog).

dbt's and the adapters' macros are not the project's and are left out.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dbt_coverage

PROJECT = "nycflights"
DESCRIBED_NODES = ("model", "snapshot", "seed")


@dataclass(frozen=True)
class Coverage:
    described: int
    total: int
    missing: list[str]

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.described / self.total


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def catalog_coverage(artifacts_dir: Path) -> dbt_coverage.Catalog:
    """dbt-coverage's view of the warehouse (``manifest.json`` and ``catalog.json`` of
    ``artifacts_dir``): its tables and columns, each column described or not, and tested by
    how many tests."""
    return dbt_coverage.load_files(artifacts_dir, artifacts_dir)


def _catalog_of(manifest: dict, catalog: dict) -> dbt_coverage.Catalog:
    """dbt-coverage's catalog of these artifacts, read by its own loader."""
    with tempfile.TemporaryDirectory(prefix="dataops-coverage-") as folder:
        work = Path(folder)
        for name, artifact in (("manifest.json", manifest), ("catalog.json", catalog)):
            (work / name).write_text(json.dumps(artifact), encoding="utf-8")
        return catalog_coverage(work)


def _declared(node: dict) -> set[str]:
    return {name.lower() for name in node.get("columns", {})}


def _column_items(manifest: dict, catalog: dict) -> list[tuple[str, bool]]:
    """dbt-coverage's docs coverage, one item per column of the warehouse."""
    tables = _catalog_of(manifest, catalog)
    report = dbt_coverage.compute_coverage(tables, dbt_coverage.CoverageType.DOC)
    covered = {(ref.table_name, ref.column_name) for ref in report.covered}
    items = []
    for unique_id, table in tables.all_tables().items():
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        declared = _declared(node)
        for name in table.columns:
            label = f"{unique_id}.{name}" + ("" if name in declared else " (in the warehouse)")
            items.append((label, (table.name, name) in covered))
    return items


def _project_items(manifest: dict, catalog: dict) -> list[tuple[str, bool]]:
    """What dbt-coverage does not count: the nodes themselves, declared columns the
    warehouse does not hold, singular tests, exposures, the semantic layer, macros and
    their arguments."""
    held = {
        unique_id: {name.lower() for name in table.get("columns", {})}
        for unique_id, table in {**catalog.get("sources", {}), **catalog["nodes"]}.items()
    }
    items: list[tuple[str, bool]] = []

    def node_and_columns(unique_id: str, node: dict) -> None:
        items.append((unique_id, not _blank(node.get("description"))))
        for name, column in node["columns"].items():
            if name.lower() not in held.get(unique_id, set()):
                items.append((f"{unique_id}.{name.lower()}", not _blank(column.get("description"))))

    for unique_id, node in manifest["nodes"].items():
        if node.get("package_name") != PROJECT:
            continue
        kind = node["resource_type"]
        if kind in DESCRIBED_NODES:
            node_and_columns(unique_id, node)
        elif (
            kind == "test"
            and "generic" not in node.get("tags", [])
            and not node.get("test_metadata")
        ):
            items.append((unique_id, not _blank(node.get("description"))))
    for unique_id, source in manifest["sources"].items():
        if source.get("package_name") == PROJECT:
            node_and_columns(unique_id, source)
    for unique_id, exposure in manifest.get("exposures", {}).items():
        items.append((unique_id, not _blank(exposure.get("description"))))
    for kind in ("metrics", "saved_queries"):
        for unique_id, node in manifest.get(kind, {}).items():
            items.append((unique_id, not _blank(node.get("description"))))
    for unique_id, model in manifest.get("semantic_models", {}).items():
        items.append((unique_id, not _blank(model.get("description"))))
        for part in ("entities", "dimensions", "measures"):
            for element in model.get(part) or []:
                described = not _blank(element.get("description"))
                items.append((f"{unique_id}.{element['name']}", described))
    for unique_id, macro in manifest["macros"].items():
        if macro.get("package_name") != PROJECT:
            continue
        items.append((unique_id, not _blank(macro.get("description"))))
        for argument in macro.get("arguments", []):
            described = not _blank(argument.get("description"))
            items.append((f"{unique_id}({argument['name']})", described))
    return items


def check(manifest: dict, catalog: dict | None = None) -> Coverage:
    """Count the described items and list those without a description.

    With the catalog of ``dbt docs generate``, dbt-coverage counts the columns the warehouse
    holds; without one, the declared columns are counted here.
    """
    catalog = catalog or {"nodes": {}, "sources": {}}
    columns = _column_items(manifest, catalog) if catalog["nodes"] or catalog.get("sources") else []
    items = columns + _project_items(manifest, catalog)
    missing = sorted(name for name, described in items if not described)
    return Coverage(described=len(items) - len(missing), total=len(items), missing=missing)
