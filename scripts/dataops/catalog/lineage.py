"""Column-level lineage of the dbt project, computed from the compiled SQL with sqlglot.

Each model's and snapshot's ``compiled_code`` (manifest) is parsed in the DuckDB
dialect; ``select *`` is expanded with the columns the catalog found in the
warehouse. sqlglot traces every output column to the columns of the relations
it reads; relations are mapped back to dbt nodes, so the edges chain from a
mart column down to the landing models. The landing models read files
(``read_csv`` over the ingestion log), so their columns are tied to the
columns declared on their source: the landing files.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage

log = logging.getLogger(__name__)

DIALECT = "duckdb"
# Columns every landing model adds to the file's own: where the row came from.
LANDING_FILE_COLUMNS = ("_source_file", "_file_sha256", "_ingested_at")

ColumnKey = tuple[str, str]  # (unique_id, column name)


@dataclass
class ColumnLineage:
    """Direct upstream columns of every column of the project's models and snapshots."""

    upstream: dict[ColumnKey, set[ColumnKey]] = field(default_factory=lambda: defaultdict(set))
    columns: dict[str, list[str]] = field(default_factory=dict)
    unparsed: dict[str, str] = field(default_factory=dict)

    def ancestors(self, key: ColumnKey) -> set[ColumnKey]:
        """Every column ``key`` is computed from, transitively."""
        seen: set[ColumnKey] = set()
        stack = [key]
        while stack:
            for parent in self.upstream.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen


def _relation_key(schema: str, name: str) -> str:
    return f"{schema}.{name}".lower()


def _relations(manifest: dict) -> dict[str, str]:
    """``schema.name`` of every relation dbt builds or reads -> its unique_id."""
    relations = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] in ("model", "snapshot", "seed"):
            relations[_relation_key(node["schema"], node.get("alias") or node["name"])] = unique_id
    for unique_id, source in manifest["sources"].items():
        relations[_relation_key(source["schema"], source["identifier"])] = unique_id
    return relations


def _catalog_columns(catalog: dict) -> dict[str, list[tuple[str, str]]]:
    """unique_id -> [(column, type)] in warehouse order, for nodes and sources."""
    found = {}
    for section in ("nodes", "sources"):
        for unique_id, entry in catalog.get(section, {}).items():
            columns = sorted(entry["columns"].values(), key=lambda column: column["index"])
            found[unique_id] = [(column["name"].lower(), column["type"]) for column in columns]
    return found


def _sqlglot_schema(manifest: dict, catalog_columns: dict) -> dict:
    schema: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for unique_id, columns in catalog_columns.items():
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
        if node is None:
            continue
        name = node.get("identifier") or node.get("alias") or node["name"]
        schema[node["schema"].lower()][name.lower()] = dict(columns)
    return dict(schema)


def _leaves(node: Node) -> list[tuple[str, str]]:
    """(schema.table, column) of the warehouse columns a lineage node reads."""
    found = []
    for child in node.walk():
        if child.downstream or not isinstance(child.source, exp.Table):
            continue
        table = child.source
        column = child.name.rsplit(".", 1)[-1]
        found.append((_relation_key(table.db, table.name), column.strip('"').lower()))
    return found


def _strip_database(sql: str, database: str) -> str:
    """Compiled SQL names relations ``"dev"."schema"."table"``; the catalog is per schema."""
    return sql.replace(f'"{database}".', "")


def _landing_edges(
    result: ColumnLineage, unique_id: str, node: dict, manifest: dict, columns: list[str]
) -> None:
    """A landing model's columns come from the landed files of its source."""
    feed_sources = [
        parent
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("source.") and not parent.startswith("source.nycflights.ingestion.")
    ]
    for source_id in feed_sources:
        declared = {name.lower() for name in manifest["sources"][source_id]["columns"]}
        for column in columns:
            if column in declared or column in LANDING_FILE_COLUMNS:
                result.upstream[(unique_id, column)].add((source_id, column))


# The columns dbt adds to a snapshot: the validity comes from the updated_at column,
# the version key from the unique key and updated_at.
SNAPSHOT_VALIDITY_COLUMNS = ("dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def _snapshot_edges(result: ColumnLineage, unique_id: str, node: dict, columns: list[str]) -> None:
    config = node["config"]
    updated_at = str(config.get("updated_at") or "").lower()
    keys = config.get("unique_key") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    if updated_at not in columns:
        return
    for column in SNAPSHOT_VALIDITY_COLUMNS:
        if column in columns:
            result.upstream[(unique_id, column)].add((unique_id, updated_at))
    if "dbt_scd_id" in columns:
        for parent in [*keys, updated_at]:
            if parent.lower() in columns:
                result.upstream[(unique_id, "dbt_scd_id")].add((unique_id, parent.lower()))


def _python_edges(
    result: ColumnLineage,
    unique_id: str,
    node: dict,
    columns: list[str],
    catalog_columns: dict[str, list[tuple[str, str]]],
) -> None:
    """A Python model has no SQL to parse: a column it passes on keeps its parent's name.

    Each column is tied to the columns of the same name of the models it reads;
    the others (a model's probability, a day's metric) are computed in Python.
    """
    for parent in node.get("depends_on", {}).get("nodes", []):
        parent_columns = {name for name, _type in catalog_columns.get(parent, [])}
        for column in columns:
            if column in parent_columns:
                result.upstream[(unique_id, column)].add((parent, column))


def compute(
    manifest: dict, catalog: dict, progress: Callable[[int, int], None] | None = None
) -> ColumnLineage:
    """Column lineage of every model and snapshot the catalog knows."""
    relations = _relations(manifest)
    catalog_columns = _catalog_columns(catalog)
    schema = _sqlglot_schema(manifest, catalog_columns)
    result = ColumnLineage()
    nodes = [
        (unique_id, node)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot") and unique_id in catalog_columns
    ]
    for done, (unique_id, node) in enumerate(nodes, start=1):
        columns = [name for name, _type in catalog_columns[unique_id]]
        result.columns[unique_id] = columns
        if node["fqn"][1:2] == ["landing"] and node["resource_type"] == "model":
            _landing_edges(result, unique_id, node, manifest, columns)
        elif node.get("language") == "python":
            _python_edges(result, unique_id, node, columns, catalog_columns)
        else:
            _trace(result, unique_id, node, columns, schema, relations)
        if node["resource_type"] == "snapshot":
            _snapshot_edges(result, unique_id, node, columns)
        if progress:
            progress(done, len(nodes))
    for unique_id, source in manifest["sources"].items():
        declared = [name.lower() for name in source["columns"]]
        result.columns[unique_id] = [c for c, _t in catalog_columns.get(unique_id, [])] or declared
    return result


def _trace(
    result: ColumnLineage,
    unique_id: str,
    node: dict,
    columns: list[str],
    schema: dict,
    relations: dict[str, str],
) -> None:
    sql = node.get("compiled_code")
    if not sql:
        result.unparsed[unique_id] = "no compiled SQL in the manifest (run dbt compile)"
        return
    sql = _strip_database(sql, node["database"])
    try:
        expression = sqlglot.parse_one(sql, dialect=DIALECT)
        traced = lineage(None, expression, schema=schema, dialect=DIALECT)
    except SqlglotError as error:
        result.unparsed[unique_id] = f"sqlglot: {error}"
        log.warning("column lineage of %s not traced: %s", unique_id, error)
        return
    assert isinstance(traced, dict)
    by_name = {name.strip('"').lower(): value for name, value in traced.items()}
    for column in columns:
        traced_column = by_name.get(column)
        if traced_column is None:
            continue
        for relation, parent_column in _leaves(traced_column):
            parent = relations.get(relation)
            if parent is not None and parent != unique_id:
                result.upstream[(unique_id, column)].add((parent, parent_column))
