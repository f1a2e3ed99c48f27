"""Column profiles: every relation of every zone, recorded as history after each build.

The profiling itself is the on-run-end hook ``record_column_profiles`` (dbt, SQL on
the warehouse); ``dataops profile`` runs the same macro on demand through
``dbt run-operation`` (``full``: every part of every relation re-read). This module
starts it and reads what it recorded: the latest profile of a relation's columns and
what the profiles cost against the builds they followed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.core.dbt import refuse_locked, run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)

SCHEMA = "observability"
MACRO = "record_column_profiles"


@dataclass(frozen=True)
class ProfileOutcome:
    """What one profiling pass recorded."""

    target: str
    invocation_id: str
    relations: int
    columns: int
    parts: int
    seconds: float
    findings: dict[str, int]
    full: bool


@dataclass(frozen=True)
class BuildCost:
    """What the profiles of one build cost, against the build."""

    invocation_id: str
    command: str
    started_at: str
    build_seconds: float
    profile_seconds: float

    @property
    def share(self) -> float:
        return self.profile_seconds / self.build_seconds if self.build_seconds else 0.0


def profile(
    project: Project,
    target: str | None = None,
    *,
    full: bool = False,
    relations: tuple[str, ...] = (),
    artifacts_dir: Path | None = None,
) -> ProfileOutcome:
    """Profile the target's relations now (the hook's macro through ``dbt run-operation``).

    Without ``full`` a day-keyed incremental table is read on the days changed since its
    last profile and a landing table on the files landed since; ``relations``
    (``schema.table``) profiles those relations whole instead of the project's nodes.
    """
    name, output = project.output(target)
    if output["type"] != "duckdb":
        raise DataOpsError(
            f"target {name} is {output['type']}: profiles are recorded on DuckDB targets only",
            "profile a DuckDB target (dev, ci, prod)",
        )
    warehouse = project.warehouse_path(name)
    if not warehouse.is_file():
        raise DataOpsError(f"no warehouse at {warehouse}", f"run dataops build --target {name}")
    refuse_locked(warehouse, "run dataops profile again")
    arguments = {"full": full, "relations": list(relations) or None}
    outcome = run_dbt(
        project, ["run-operation", MACRO, "--args", json.dumps(arguments)], name, artifacts_dir
    )
    if not outcome.success:
        raise DataOpsError(
            f"profiling target {name} failed",
            "read the message above; logs/dbt.log has the details",
        )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _latest_outcome(con, name, full)
    finally:
        con.close()


def _latest_outcome(con: duckdb.DuckDBPyConnection, target: str, full: bool) -> ProfileOutcome:
    row = con.execute(
        f"""
        select invocation_id, count(unique_id),
            coalesce(sum(parts_profiled) filter (where unique_id is not null), 0),
            sum(profile_seconds)
        from {SCHEMA}.profile_runs
        where invocation_id = (
            select invocation_id from {SCHEMA}.profile_runs order by started_at desc limit 1
        )
        group by invocation_id
        """
    ).fetchone()
    if row is None:
        raise DataOpsError("nothing was profiled", "run dataops build first")
    invocation_id, relations, parts, seconds = row
    columns = con.execute(
        f"select count(*) from {SCHEMA}.column_profiles where invocation_id = ?", [invocation_id]
    ).fetchone()
    findings = con.execute(
        f"select rule_id, count(*) from {SCHEMA}.profile_findings"
        " where invocation_id = ? group by rule_id order by rule_id",
        [invocation_id],
    ).fetchall()
    return ProfileOutcome(
        target=target,
        invocation_id=invocation_id,
        relations=int(relations),
        columns=int(columns[0]) if columns else 0,
        parts=int(parts),
        seconds=float(seconds or 0.0),
        findings={rule: int(count) for rule, count in findings},
        full=full,
    )


def build_costs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[BuildCost]:
    """The latest builds that profiled: their seconds and their profiles' seconds.

    The build's seconds are the invocation's own (``invocations``: start to end of the
    nodes, before the on-run-end hooks); the profile's, every relation profiled and the
    assembly (``profile_runs``).
    """
    rows = con.execute(
        f"""
        select
            invocations.invocation_id,
            invocations.command,
            cast(invocations.started_at as varchar),
            epoch(invocations.ended_at - invocations.started_at),
            sum(runs.profile_seconds)
        from {SCHEMA}.invocations as invocations
        inner join {SCHEMA}.profile_runs as runs
            on invocations.invocation_id = runs.invocation_id
        group by
            invocations.invocation_id, invocations.command, invocations.started_at,
            invocations.ended_at
        order by invocations.started_at desc
        limit ?
        """,
        [limit],
    ).fetchall()
    return [BuildCost(*row[:3], float(row[3] or 0.0), float(row[4] or 0.0)) for row in rows]


def latest_profile(con: duckdb.DuckDBPyConnection, relation: str) -> list[dict]:
    """The latest profile of a relation (``schema.table``), one dict per column."""
    schema, _, table = relation.lower().partition(".")
    cursor = con.execute(
        f"""
        select * from {SCHEMA}.column_profiles
        where lower(relation_name) like ?
        qualify invocation_id = first_value(invocation_id) over (order by profiled_at desc)
        order by ordinal_position
        """,
        [f'%"{schema}"."{table}"'],
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
