"""What the warehouse holds: the rows of each source in each zone, on either engine.

The reconciliation of every build (staging = trusted + quarantine, per source) and the
summary ``dataops build`` prints read these counts; a DuckDB target is opened read-only,
a Spark target is asked through its session or its Thrift server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.project import Project

# The main relation of each source in each zone: staging = trusted + quarantine.
SOURCE_RELATIONS = {
    "flights": (
        "landing.ldg_flights__flights",
        "staging.stg_flights__flights",
        "trusted.trusted_flights",
        "quarantine.quarantine_flights",
    ),
    "weather": (
        "landing.ldg_weather__observations",
        "staging.stg_weather__observations",
        "trusted.trusted_weather_observations",
        "quarantine.quarantine_weather_observations",
    ),
    "planes": (
        "landing.ldg_planes__planes",
        "staging.stg_planes__planes",
        "trusted.trusted_planes",
        "quarantine.quarantine_planes",
    ),
    "airports": (
        "landing.ldg_airports__airports",
        "staging.stg_airports__airports",
        "trusted.trusted_airports",
        "quarantine.quarantine_airports",
    ),
    "airlines": (
        "landing.ldg_airlines__airlines",
        "staging.stg_airlines__airlines",
        "trusted.trusted_airlines",
        "quarantine.quarantine_airlines",
    ),
}
ZONE_COLUMNS = ("landing", "staging", "trusted", "quarantine")
# Every relation of SOURCE_RELATIONS, source by source.
ZONE_RELATIONS = tuple(relation for names in SOURCE_RELATIONS.values() for relation in names)
# The landing model of each source: the one relation that reads its landed files.
LANDING_RELATIONS = {source: relations[0] for source, relations in SOURCE_RELATIONS.items()}


@dataclass(frozen=True)
class SourceRows:
    source: str
    landing: int
    staging: int
    trusted: int
    quarantine: int

    @property
    def reconciles(self) -> bool:
        return self.staging == self.trusted + self.quarantine


def relations_in(
    con: duckdb.DuckDBPyConnection, schema: str, database: str | None = None
) -> set[str]:
    """The tables and views of ``schema`` in ``database`` (the connection's own by default)."""
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_catalog = coalesce(?, current_database()) and table_schema = ?",
        [database, schema],
    ).fetchall()
    return {row[0] for row in rows}


def has_relation(
    con: duckdb.DuckDBPyConnection, relation: str, database: str | None = None
) -> bool:
    """Whether ``relation`` (``schema.name``) exists in ``database`` (the connection's own)."""
    schema, _, name = relation.partition(".")
    return name in relations_in(con, schema, database)


def table_rows(warehouse: Path, relations: Sequence[str]) -> dict[str, int]:
    """Row counts of named relations (``schema.table``), opened read-only."""
    if not warehouse.exists():
        raise DataOpsError(f"no warehouse at {warehouse}", "run dataops ingest and build first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            relation: con.execute(f"select count(*) from {relation}").fetchall()[0][0]
            for relation in relations
        }
    except duckdb.CatalogException as error:
        raise DataOpsError(
            f"{warehouse} lacks a relation: {error}", "run dataops build first"
        ) from error
    finally:
        con.close()


def spark_session():  # -> pyspark.sql.SparkSession | None (pyspark is optional)
    """The Spark session dbt-spark (method session) started in this process, if any.

    dbt runs nodes in worker threads, where the session is active; from the
    main thread it is found as the process's default session.
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None:
        return None
    return SparkSession.builder.getOrCreate()


def spark_table_rows(project: Project, target: str, relations: Sequence[str]) -> dict[str, int]:
    """Row counts of named relations on a Spark target.

    Method session: the Spark session dbt-spark started in this process (a
    build ran just before); method thrift: a connection to the Thrift server.
    """
    _name, output = project.output(target)
    if output.get("method") == "session":
        spark = spark_session()
        if spark is None:
            raise DataOpsError(
                f"no Spark session for target {target}", "run dataops build --target " + target
            )
        return {relation: spark.table(relation).count() for relation in relations}
    from pyhive import hive

    con = hive.connect(
        host=output["host"], port=int(output.get("port", 10000)), username=output.get("user")
    )
    try:
        cursor = con.cursor()
        counts = {}
        for relation in relations:
            cursor.execute(f"select count(*) from {relation}")
            counts[relation] = int(cursor.fetchall()[0][0])
        return counts
    finally:
        con.close()


def relation_rows(project: Project, target: str | None, relations: Sequence[str]) -> dict[str, int]:
    """Row counts of named relations on a target, whichever its engine."""
    name, output = project.output(target)
    if output["type"] == "duckdb":
        return table_rows(project.warehouse_path(name), relations)
    return spark_table_rows(project, name, relations)


def source_rows(warehouse: Path, counts: dict[str, int] | None = None) -> list[SourceRows]:
    """Rows of each source in each zone, for the reconciliation staging = trusted + quarantine.

    ``counts`` (from ``relation_rows``) replaces reading the DuckDB ``warehouse``.
    """
    if counts is None:
        counts = table_rows(warehouse, ZONE_RELATIONS)
    return [
        SourceRows(source, *(counts[relation] for relation in names))
        for source, names in SOURCE_RELATIONS.items()
    ]


MART_RELATIONS = (
    "marts.fct_flights",
    "marts.dim_airports",
    "marts.dim_airlines",
    "marts.dim_planes",
    "marts.dim_dates",
    "marts.mart_performance__days",
    "marts.ml_delay_train",
    "marts.ml_delay_validation",
)
