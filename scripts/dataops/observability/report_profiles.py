"""The report's Profiles page: each column's profile now, over runs, across zones.

``collect(con, warehouse)`` is the page's ``ReportPage.collect`` (report.py's
``PAGES``): the latest profile of every relation, the history of each column over
the invocations that profiled it, the hygiene findings, what cleaning changed from
staging to trusted and quarantine, and what the profiles cost against the builds.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import duckdb

from dataops.core.zones import relations_in
from dataops.observability import hygiene, profiles

log = logging.getLogger(__name__)

SCHEMA = "observability"
# Invocations of each column's history shown (the latest).
HISTORY_RUNS = 30
FIELDS = (
    "column_name, data_type, type_family, row_count, null_count, null_share,"
    " distinct_count, distinct_count_upper, min_value, max_value, mean_value,"
    " stddev_value, quantiles, top_values, min_length, max_length, mean_length,"
    " zero_share, negative_share, empty_share, padded_count, future_count,"
    " part_count, is_approximate"
)


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [
        {name: _plain(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def collect(con: duckdb.DuckDBPyConnection, _warehouse: Path) -> dict:
    """What the Profiles page shows; empty lists when nothing was profiled yet."""
    if not {"column_profiles", "profile_runs", "profile_findings"} <= relations_in(con, SCHEMA):
        return {"relations": [], "history": {}, "findings": [], "cleaning": [], "costs": []}
    latest = _records(
        con.execute(
            f"select split_part(unique_id, '.', -1) as relation, unique_id, zone_name as zone,"
            f" relation_name, invocation_id, cast(profiled_at as varchar) as profiled_at,"
            f" {FIELDS} from ({hygiene.LATEST}) order by zone_name, relation, ordinal_position"
        )
    )
    relations: dict[str, dict] = {}
    for row in latest:
        entry = relations.setdefault(
            row["relation"],
            {
                "name": row.pop("relation"),
                "unique_id": row.pop("unique_id"),
                "zone": row.pop("zone"),
                "relation_name": row.pop("relation_name"),
                "profiled_at": row.pop("profiled_at"),
                "columns": [],
            },
        )
        for key in ("relation", "unique_id", "zone", "relation_name", "profiled_at"):
            row.pop(key, None)
        row.pop("invocation_id")
        entry["columns"].append(row)
    history: dict[str, list] = {}
    for row in con.execute(
        f"""
        with runs as (
            select invocation_id, min(profiled_at) as profiled_at
            from {SCHEMA}.column_profiles group by invocation_id
            order by profiled_at desc limit {HISTORY_RUNS}
        )
        select split_part(profiles.unique_id, '.', -1) || '.' || profiles.column_name,
            cast(profiles.profiled_at as varchar), profiles.row_count, profiles.null_share,
            profiles.distinct_count, profiles.min_value, profiles.max_value,
            profiles.mean_value, profiles.quantiles
        from {SCHEMA}.column_profiles as profiles
        inner join runs on profiles.invocation_id = runs.invocation_id
        order by profiles.profiled_at
        """
    ).fetchall():
        key, *values = row
        history.setdefault(key, []).append([_plain(value) for value in values])
    return {
        "relations": list(relations.values()),
        "history": history,
        "findings": [finding.__dict__ for finding in hygiene.latest_findings(con)],
        "cleaning": hygiene.cleaning(con),
        "costs": [
            {**cost.__dict__, "share": round(cost.share, 4)} for cost in profiles.build_costs(con)
        ],
    }
