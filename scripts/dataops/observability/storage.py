"""How much of a warehouse file each zone (schema) takes: ``observability.zone_sizes``.

DuckDB stores a table's columns in segments written into fixed-size blocks
(``pragma database_size``: ``block_size``, 256 KiB by default).
``pragma_storage_info(table)`` lists each segment with its ``block_id`` (and
``additional_block_ids`` for a segment spread over several). A zone's bytes are
the distinct blocks its tables' segments use times the block size; its share is
those bytes over the used blocks of the file (what is left is the catalog, the
metadata and free blocks). Views take no block. Rows are DuckDB's own estimate
(``duckdb_tables().estimated_size``, exact for tables written in one go).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

ZONES_TABLE = "observability.zone_sizes"
ZONE_COLUMNS = (
    ("run_id", "varchar"),
    ("zone", "varchar"),
    ("table_count", "bigint"),
    ("row_count", "bigint"),
    ("block_count", "bigint"),
    ("bytes", "bigint"),
    ("share_of_used", "double"),
    ("recorded_at", "timestamp"),
)
UNITS = {
    "": 1,
    "b": 1,
    "bytes": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


@dataclass(frozen=True)
class Measured:
    """The file's size and each zone's blocks, bytes and share."""

    file_bytes: int
    block_size: int
    used_blocks: int
    zones: list[dict]


def parse_bytes(text: str) -> int | None:
    """DuckDB's sizes as bytes: ``'2.7 GiB'`` -> 2899102924; None when unreadable."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", text or "")
    if not match or match.group(2).lower() not in UNITS:
        return None
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def _quoted(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote + quote) + quote


def measure(con: duckdb.DuckDBPyConnection, warehouse: Path) -> Measured:
    """Each schema's tables, rows, blocks and bytes in the database of ``con`` (``warehouse``).

    One query reads the storage of every table (a union of ``pragma_storage_info``):
    a query per table took four times as long on a warehouse of 300 tables.
    """
    database = con.execute("select current_database()").fetchall()[0][0]
    size = con.execute("pragma database_size").fetchall()
    row = next((item for item in size if item[0] == database), size[0])
    block_size, used_blocks = int(row[2]), int(row[4])
    tables = con.execute(
        "select schema_name, table_name, estimated_size from duckdb_tables()"
        " where database_name = ? and not temporary order by schema_name, table_name",
        [database],
    ).fetchall()
    zones: dict[str, dict] = {}
    for schema, _table, rows in tables:
        zone = zones.setdefault(schema, {"zone": schema, "table_count": 0, "row_count": 0})
        zone["table_count"] += 1
        zone["row_count"] += int(rows or 0)
    blocks: dict[str, int] = {}
    if tables:
        parts = [
            f"select {_quoted(schema, chr(39))} as zone, block_id, additional_block_ids"
            " from pragma_storage_info("
            f"{_quoted(_quoted(schema, chr(34)) + '.' + _quoted(table, chr(34)), chr(39))})"
            for schema, table, _rows in tables
        ]
        blocks = dict(
            con.execute(
                "select zone, count(distinct block) from ("
                " select zone, unnest(list_prepend(block_id, coalesce(additional_block_ids, [])))"
                f" as block from ({' union all '.join(parts)})"
                ") where block >= 0 group by zone"
            ).fetchall()
        )
    measured = []
    for zone in zones.values():
        count = int(blocks.get(zone["zone"], 0))
        zone["block_count"] = count
        zone["bytes"] = count * block_size
        zone["share_of_used"] = count / used_blocks if used_blocks else 0.0
        measured.append(zone)
    return Measured(warehouse.stat().st_size, block_size, used_blocks, measured)


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in ZONE_COLUMNS)
    con.execute(f"create table if not exists {ZONES_TABLE} ({columns})")


def insert(
    con: duckdb.DuckDBPyConnection, run_id: str, recorded_at: str | None, zones: list[dict]
) -> None:
    for zone in zones:
        values = {**zone, "run_id": run_id, "recorded_at": recorded_at}
        con.execute(
            f"insert into {ZONES_TABLE} values ({', '.join('?' for _ in ZONE_COLUMNS)})",
            [values.get(name) for name, _kind in ZONE_COLUMNS],
        )
