"""Hygiene findings and what cleaning changed, read from the column profiles.

The findings are written by the hook's macro ``observability_profile_findings``
(warnings: recorded and shown, never blocking); this module reads the latest of each
relation. ``cleaning`` sets each staging model beside its trusted and quarantine
models, column by column (rows, nulls, range before and after), with the rows each
quarantine rule moved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from dataops.core.zones import relations_in

log = logging.getLogger(__name__)

SCHEMA = "observability"
# The latest profile of each relation (the relations a build did not rebuild keep theirs).
LATEST = f"""
    select * from {SCHEMA}.column_profiles
    qualify invocation_id = first_value(invocation_id) over (
        partition by unique_id order by profiled_at desc
    )
"""


@dataclass(frozen=True)
class Finding:
    """A hygiene warning on a column, with what the profile shows."""

    relation_name: str
    column_name: str
    rule_id: str
    evidence: str


def latest_findings(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """The findings of each relation's latest profile."""
    rows = con.execute(
        f"""
        with latest as (
            select distinct unique_id, invocation_id from ({LATEST})
        )
        select findings.relation_name, findings.column_name, findings.rule_id,
            findings.evidence
        from {SCHEMA}.profile_findings as findings
        inner join latest
            on findings.unique_id = latest.unique_id
            and findings.invocation_id = latest.invocation_id
        order by findings.relation_name, findings.column_name, findings.rule_id
        """
    ).fetchall()
    return [Finding(*row) for row in rows]


def _entity_of(staging_name: str) -> list[str]:
    """stg_weather__observations -> the names its trusted/quarantine models may carry."""
    source, _, entity = staging_name.removeprefix("stg_").partition("__")
    return [entity, f"{source}_{entity}"] if source != entity else [entity]


def cleaning(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """For each staging model: its columns in staging, trusted and quarantine, and rules.

    One dict per staging model: ``staging``, ``trusted`` and ``quarantine`` (the
    relation names, or None), ``columns`` (per column, per zone: rows, nulls, min,
    max) and ``rules`` (rule id -> rows quarantined by it, read from the quarantine
    model's ``rule_id``).
    """
    profiles = con.execute(
        f"""
        select zone_name, split_part(unique_id, '.', -1), relation_name, column_name,
            row_count, null_count, min_value, max_value
        from ({LATEST})
        where zone_name in ('staging', 'trusted', 'quarantine')
        order by ordinal_position
        """
    ).fetchall()
    relations: dict[tuple[str, str], str] = {}
    columns: dict[str, dict[str, dict]] = {}
    for zone, name, relation, column, rows, nulls, low, high in profiles:
        relations[(zone, name)] = relation
        columns.setdefault(name, {})[column] = {
            "rows": rows,
            "nulls": nulls,
            "min": low,
            "max": high,
        }
    present = relations_in(con, "quarantine")
    compared = []
    for zone, name in sorted(relations):
        if zone != "staging":
            continue
        entities = _entity_of(name)
        trusted = next(
            (f"trusted_{e}" for e in entities if ("trusted", f"trusted_{e}") in relations), None
        )
        quarantine = next(
            (f"quarantine_{e}" for e in entities if ("quarantine", f"quarantine_{e}") in relations),
            None,
        )
        per_column = []
        for column, staged in columns[name].items():
            per_column.append(
                {
                    "column": column,
                    "staging": staged,
                    "trusted": columns.get(trusted or "", {}).get(column),
                    "quarantine": columns.get(quarantine or "", {}).get(column),
                }
            )
        rules: dict[str, int] = {}
        # a history copied without its relations (dataops bench-report) has profiles only
        if quarantine and "rule_id" in columns[quarantine] and quarantine in present:
            rules = dict(
                con.execute(
                    f"select rule_id, count(*) from {relations[('quarantine', quarantine)]}"
                    " group by rule_id order by 2 desc, 1"
                ).fetchall()
            )
        compared.append(
            {
                "staging": name,
                "trusted": trusted,
                "quarantine": quarantine,
                "columns": per_column,
                "rules": rules,
            }
        )
    return compared
