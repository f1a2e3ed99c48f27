"""Description coverage of the dbt project, from manifest.json (and catalog.json).

Everything a user browses in the docs must say what it is: models, their
columns (declared, and, with a catalog, every column the warehouse holds),
snapshots, seeds, sources and their tables' columns, singular tests, exposures
and the project's own macros (generic tests included). dbt's and the adapters'
macros are not the project's and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def check(manifest: dict, catalog: dict | None = None) -> Coverage:
    """Count the described items and list those without a description."""
    items: list[tuple[str, str | None]] = []
    catalog_nodes = (catalog or {}).get("nodes", {})
    for unique_id, node in manifest["nodes"].items():
        if node.get("package_name") != PROJECT:
            continue
        kind = node["resource_type"]
        if kind in DESCRIBED_NODES:
            items.append((unique_id, node.get("description")))
            declared = {name.lower(): column for name, column in node["columns"].items()}
            for name, column in declared.items():
                items.append((f"{unique_id}.{name}", column.get("description")))
            warehouse_columns = catalog_nodes.get(unique_id, {}).get("columns", {})
            for name in warehouse_columns:
                if name.lower() not in declared:
                    items.append((f"{unique_id}.{name.lower()} (in the warehouse)", None))
        elif (
            kind == "test"
            and "generic" not in node.get("tags", [])
            and not node.get("test_metadata")
        ):
            items.append((unique_id, node.get("description")))
    for unique_id, source in manifest["sources"].items():
        if source.get("package_name") != PROJECT:
            continue
        items.append((unique_id, source.get("description")))
        for name, column in source["columns"].items():
            items.append((f"{unique_id}.{name}", column.get("description")))
    for unique_id, exposure in manifest.get("exposures", {}).items():
        items.append((unique_id, exposure.get("description")))
    for unique_id, macro in manifest["macros"].items():
        if macro.get("package_name") != PROJECT:
            continue
        items.append((unique_id, macro.get("description")))
        for argument in macro.get("arguments", []):
            items.append((f"{unique_id}({argument['name']})", argument.get("description")))
    missing = sorted(name for name, text in items if _blank(text))
    return Coverage(described=len(items) - len(missing), total=len(items), missing=missing)
