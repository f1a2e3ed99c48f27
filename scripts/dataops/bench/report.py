"""Benchmark of ``dataops report`` on a long history.

The history is SYNTHESISED from real recorded runs: the invocations recorded
in a warehouse's schema observability are repeated, each copy with new
invocation ids and its timestamps shifted past the previous copy, until the
wanted number of runs is reached. Every row of every observability table is
copied with its invocation, so the tables hold what that many real runs of the
project would hold. The copy goes to a separate DuckDB file; the warehouse is
only read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.observability import report

TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE")


@dataclass(frozen=True)
class BenchResult:
    recorded_runs: int
    command: str
    runs: int
    rows: dict[str, int]
    seconds: float
    size_bytes: int
    output: Path


def synthesise(
    warehouse: Path, history: Path, runs: int, command: str = "build"
) -> tuple[int, dict[str, int]]:
    """Write ``runs`` invocations into ``history`` by repeating the ``command`` runs recorded.

    ``dbt build`` runs are the heaviest (every model, snapshot and test), so they
    are the default; an empty ``command`` repeats every recorded run.
    """
    only = "where command = $command" if command else ""
    chosen = {"command": command} if command else {}
    history.unlink(missing_ok=True)
    con = duckdb.connect(str(history))
    try:
        con.execute("attach ? as recorded (read_only)", [str(warehouse)])
        recorded = con.execute(
            f"select count(*) from recorded.observability.invocations {only}", chosen
        ).fetchall()
        recorded_runs = recorded[0][0]
        if recorded_runs == 0:
            raise DataOpsError(
                f"{warehouse} has no recorded {command or 'dbt'} run", "run dataops build first"
            )
        copies = -(-runs // recorded_runs)
        # one row per (copy, recorded invocation): its new id and the shift of its times
        con.execute(
            f"""
            create temp table copied as
            with recorded_runs as (
                select
                    invocation_id,
                    row_number() over (order by started_at, invocation_id) - 1 as position
                from recorded.observability.invocations
                {only}
            ),
            span as (
                select max(ended_at) - min(started_at) + interval 1 hour as length
                from recorded.observability.invocations
            )
            select
                recorded_runs.invocation_id,
                md5(copy_number::varchar || '-' || recorded_runs.invocation_id) as new_id,
                span.length * copy_number as shift
            from recorded_runs
            cross join range({copies}) as copies (copy_number)
            cross join span
            qualify row_number() over (order by copy_number, position) <= {runs}
            """,
            chosen,
        )
        con.execute("create schema observability")
        tables = con.execute(
            """
            select table_name from duckdb_tables()
            where database_name = 'recorded' and schema_name = 'observability'
            union
            select view_name from duckdb_views()
            where database_name = 'recorded' and schema_name = 'observability'
            """
        ).fetchall()
        rows = {}
        for (table,) in sorted(tables):
            columns = con.execute(
                """
                select column_name, data_type from duckdb_columns()
                where database_name = 'recorded' and schema_name = 'observability'
                    and table_name = ?
                """,
                [table],
            ).fetchall()
            if "invocation_id" not in {name for name, _ in columns}:
                # a history not kept per invocation (the model monitoring's): as recorded
                con.execute(
                    f"create table observability.{table} as"
                    f" select * from recorded.observability.{table}"
                )
                rows[table] = con.execute(f"select count(*) from observability.{table}").fetchone()[
                    0
                ]
                continue
            replaced = ["copied.new_id as invocation_id"] + [
                f"source.{name} + copied.shift as {name}"
                for name, data_type in columns
                if data_type in TIMESTAMP_TYPES
            ]
            con.execute(
                f"""
                create table observability.{table} as
                select source.* replace ({", ".join(replaced)})
                from recorded.observability.{table} as source
                inner join copied using (invocation_id)
                """
            )
            rows[table] = con.execute(f"select count(*) from observability.{table}").fetchall()[0][
                0
            ]
    finally:
        con.close()
    return recorded_runs, rows


def run(
    warehouse: Path, manifest: Path, workdir: Path, runs: int, command: str = "build"
) -> BenchResult:
    """Synthesise ``runs`` runs from ``warehouse`` and time the report built from them."""
    workdir.mkdir(parents=True, exist_ok=True)
    history = workdir / f"history_{runs}.duckdb"
    recorded_runs, rows = synthesise(warehouse, history, runs, command)
    output = workdir / f"report_{runs}_runs.html"
    started = time.perf_counter()
    outcome = report.generate(history, manifest, output)
    seconds = time.perf_counter() - started
    return BenchResult(
        recorded_runs, command, outcome.invocations, rows, seconds, outcome.size_bytes, output
    )
