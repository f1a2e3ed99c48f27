"""The feeds and their declared columns, read from the dbt sources YAML.

The dbt sources under ``models/landing/`` are the single declaration of what
each source sends: file format and columns with their types. Ingest checks
files against it; the landing models read files with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from dataops.core.errors import DataOpsError


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str


@dataclass(frozen=True)
class Feed:
    """One source table that arrives as files in ``inbox/<source>/``."""

    source: str
    table: str
    format: str  # "csv" or "jsonl"
    extension: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def duckdb_columns(self) -> dict[str, str]:
        """The ``columns=`` argument of DuckDB's ``read_csv``/``read_json``."""
        return {column.name: column.data_type.upper() for column in self.columns}


def load_feeds(models_dir: Path) -> dict[str, Feed]:
    """Every feed declared under ``models_dir/landing``, keyed by source name."""
    feeds: dict[str, Feed] = {}
    for path in sorted((models_dir / "landing").rglob("_*__sources.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources", []):
            for table in source.get("tables", []):
                landing = ((table.get("config") or {}).get("meta") or {}).get("landing")
                if not landing:
                    continue
                feed = _feed(path, source["name"], table, landing)
                if feed.source in feeds:
                    raise DataOpsError(
                        f"{path}: source {feed.source!r} declares a second landed table",
                        "declare one landed table per source",
                    )
                feeds[feed.source] = feed
    if not feeds:
        raise DataOpsError(
            f"no landed sources declared under {models_dir / 'landing'}",
            "declare sources with config.meta.landing in _<source>__sources.yml",
        )
    return feeds


def _feed(path: Path, source: str, table: dict, landing: dict) -> Feed:
    columns = []
    for column in table.get("columns", []):
        if not column.get("data_type"):
            raise DataOpsError(
                f"{path}: column {source}.{table['name']}.{column['name']} has no data_type",
                "give every landed column a data_type",
            )
        columns.append(Column(column["name"], column["data_type"]))
    file_format = landing.get("format")
    if file_format not in ("csv", "jsonl"):
        raise DataOpsError(
            f"{path}: source {source!r} has format {file_format!r}",
            "use format csv or jsonl",
        )
    return Feed(
        source=source,
        table=table["name"],
        format=file_format,
        extension=landing.get("extension", file_format),
        columns=tuple(columns),
    )
