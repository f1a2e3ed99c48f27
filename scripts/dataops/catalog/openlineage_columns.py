"""The OpenLineage column lineage facet of each model, from the project's own column lineage.

openlineage-dbt parses a model's compiled SQL with openlineage-sql, which cannot
expand ``select *`` without the tables' columns; every model of this project ends
``select * from <final cte>``, so that facet comes out empty. The project's column
lineage (``lineage``: sqlglot, ``*`` expanded with the warehouse's columns) knows
them: the columns are read from the DuckDB warehouse the run wrote (its
``information_schema``, no ``dbt docs generate`` needed), and each model's
output gets a ``columnLineage`` facet naming, per column, the columns it is
computed from. A Spark target has no DuckDB file: its events keep the processor's
facet only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb

from dataops.catalog import lineage

log = logging.getLogger(__name__)

RELATION_TYPES = ("model", "snapshot", "seed")


def _relations(manifest: dict) -> dict[tuple[str, str], str]:
    """(schema, name) of every relation the manifest knows -> its unique_id."""
    found = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] in RELATION_TYPES:
            found[(node["schema"].lower(), (node.get("alias") or node["name"]).lower())] = unique_id
    for unique_id, source in manifest["sources"].items():
        found[(source["schema"].lower(), source["identifier"].lower())] = unique_id
    return found


def warehouse_catalog(warehouse: Path, manifest: dict) -> dict:
    """A catalog.json's ``nodes`` and ``sources`` (columns only), read from the warehouse."""
    relations = _relations(manifest)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type, ordinal_position"
            " from information_schema.columns where table_catalog = current_database()"
        ).fetchall()
    finally:
        con.close()
    catalog: dict[str, dict] = {"nodes": {}, "sources": {}}
    for schema, table, column, data_type, position in rows:
        unique_id = relations.get((schema.lower(), table.lower()))
        if unique_id is None:
            continue
        section = "sources" if unique_id.startswith("source.") else "nodes"
        entry = catalog[section].setdefault(unique_id, {"columns": {}})
        entry["columns"][column] = {"name": column, "type": data_type, "index": position}
    return catalog


def _dataset_name(manifest: dict, unique_id: str) -> str:
    node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
    table = node.get("identifier") if unique_id.startswith("source.") else None
    table = table or node.get("alias") or node["name"]
    return f"{node['database']}.{node['schema']}.{table}"


def facets(manifest: dict, warehouse: Path, namespace: str) -> dict[str, Any]:
    """unique_id -> its ``ColumnLineageDatasetFacet``, for every model with traced columns."""
    from openlineage.client.facet_v2 import column_lineage_dataset as facet

    traced = lineage.compute(manifest, warehouse_catalog(warehouse, manifest))
    by_node: dict[str, dict[str, Any]] = {}
    for (unique_id, column), parents in sorted(traced.upstream.items()):
        # the node's inputs only: a snapshot's SQL reads its own table too
        reads = set(manifest["parent_map"].get(unique_id, ()))
        inputs = [
            facet.InputField(
                namespace=namespace, name=_dataset_name(manifest, parent), field=parent_column
            )
            for parent, parent_column in sorted(parents)
            if parent in reads
        ]
        if inputs:
            by_node.setdefault(unique_id, {})[column] = facet.Fields(inputFields=inputs)
    return {
        unique_id: facet.ColumnLineageDatasetFacet(fields=fields)
        for unique_id, fields in by_node.items()
    }


def add_to(events: list[Any], manifest: dict, warehouse: Path, namespace: str) -> int:
    """Set the facet on each node event's output where the processor found none; how many."""
    by_node = facets(manifest, warehouse, namespace)
    added = 0
    for event in events:
        node = event.job.facets.get("dbt_node")
        unique_id = getattr(node, "unique_id", None)
        if unique_id not in by_node:
            continue
        for output in event.outputs or []:
            if output.facets is not None and "columnLineage" not in output.facets:
                output.facets["columnLineage"] = by_node[unique_id]
                added += 1
    return added
