"""The benchmark's two floors: what the full build costs without dbt, and without the zones.

- ``run_floor``: the same compiled SQL as dbt's build (from its manifest, in the order dbt
  ran it), executed directly on DuckDB: what dbt itself adds.
- ``run_facts_floor``: the least work that gives the facts, in one DuckDB script: parse the
  landed flights CSVs and weather JSON lines, compute the flight key as staging does, keep
  the latest file's version of each flight and of each observation, join each flight to the
  weather of its origin in its scheduled UTC hour, and write the facts sorted by day. No
  zones, rules, time zones, dimensions or marts: what the whole pipeline adds to its core.

Both run on a fresh DuckDB file with the target's settings (memory limit, threads,
temporary folder), so that their time is comparable with the build's.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dataops.data.sources import Feed

FLIGHT_KEY = ("year", "month", "day", "carrier", "flight", "origin", "sched_dep_time")


def connect(path: Path, settings: dict[str, str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for name, value in settings.items():
        con.execute(f"set {name} = ?", [value])
    return con


def run_floor(target_dir: Path, warehouse: Path, settings: dict[str, str]) -> None:
    """Execute the compiled SQL of the last build's nodes directly, in dbt's order.

    Views and tables are created with ``create or replace``; a seed is its CSV file
    read by DuckDB; a snapshot's first run is its select with the SCD2 columns added;
    an incremental model's first run is its select. Tests are not run, nor the Python
    models (the scoring and the model monitoring): their code is not SQL; no SQL model
    reads them.
    """
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    con = connect(warehouse, settings)
    try:
        for result in results["results"]:
            node = manifest["nodes"].get(result["unique_id"])
            if node is None or node["resource_type"] not in ("model", "snapshot", "seed"):
                continue
            if node.get("language") == "python":
                continue
            relation = f"{node['schema']}.{node['alias'] or node['name']}"
            con.execute(f"create schema if not exists {node['schema']}")
            if node["resource_type"] == "seed":
                seed = Path(node.get("root_path") or ".") / node["original_file_path"]
                con.execute(f"create or replace table {relation} as from {_literal(str(seed))}")
                continue
            sql = node["compiled_code"]
            if node["resource_type"] == "snapshot":
                updated_at = node["config"]["updated_at"]
                sql = (
                    f"select *, md5(cast({updated_at} as varchar)) as dbt_scd_id,"
                    f" {updated_at} as dbt_updated_at, {updated_at} as dbt_valid_from,"
                    f" cast(null as timestamp) as dbt_valid_to from ({sql}) as snapshot_rows"
                )
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"drop view if exists {relation}")
            con.execute(f"drop table if exists {relation}")
            con.execute(f"create {kind} {relation} as {sql}")
    finally:
        con.close()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(feed: Feed, data_dir: Path, paths: list[str]) -> str:
    files = ", ".join(_literal(str(data_dir / path)) for path in paths)
    columns = ", ".join(
        f"{_literal(name)}: {_literal(kind)}" for name, kind in feed.duckdb_columns().items()
    )
    options = (
        "header = true, auto_detect = false"
        if feed.format == "csv"
        else ("format = 'newline_delimited'")
    )
    reader = "read_csv" if feed.format == "csv" else "read_json"
    return f"{reader}([{files}], {options}, columns = {{{columns}}}, filename = true)"


def facts_floor_sql(feeds: dict[str, Feed], data_dir: Path, landed: dict[str, list[str]]) -> str:
    """The one script of the facts floor, over the landed files of each source."""
    key = " || '|' || ".join(
        f"coalesce(cast({column} as varchar), '_null_')" for column in FLIGHT_KEY
    )
    hour = "try_cast(replace(replace(time_hour, 'T', ' '), 'Z', '') as timestamp)"
    return f"""
    create or replace table facts as
    with files as (
        select sha256, received_at from source.landing.ingested_files where status = 'landed'
    ),
    flight_rows as (
        select
            md5({key}) as flight_id,
            try(make_date(year, month, day)) as flight_date,
            {hour} + to_minutes(cast(sched_dep_time % 100 as bigint)) as scheduled_departure_at,
            upper(trim(origin)) as origin_airport_id,
            landed.* exclude (origin),
            files.received_at,
            files.sha256
        from {_reader(feeds["flights"], data_dir, landed["flights"])} as landed
        inner join files on parse_filename(landed.filename, true) = files.sha256
    ),
    latest_flights as (
        select * from flight_rows
        qualify row_number() over (
            partition by flight_id order by received_at desc, sha256 desc
        ) = 1
    ),
    observation_rows as (
        select
            upper(trim(origin)) as airport_id,
            {hour} as observed_at,
            temp, wind_speed, visib, precip,
            files.received_at,
            files.sha256
        from {_reader(feeds["weather"], data_dir, landed["weather"])} as landed
        inner join files on parse_filename(landed.filename, true) = files.sha256
    ),
    latest_observations as (
        select * from observation_rows
        qualify row_number() over (
            partition by airport_id, observed_at order by received_at desc, sha256 desc
        ) = 1
    )
    select
        latest_flights.* exclude (received_at, sha256, filename),
        latest_observations.temp as origin_temperature_fahrenheit,
        latest_observations.wind_speed as origin_wind_speed_mph,
        latest_observations.visib as origin_visibility_miles,
        latest_observations.precip as origin_precipitation_inches
    from latest_flights
    left join latest_observations
        on latest_flights.origin_airport_id = latest_observations.airport_id
        and date_trunc('hour', latest_flights.scheduled_departure_at)
        = latest_observations.observed_at
    order by latest_flights.flight_date
    """


def run_facts_floor(
    feeds: dict[str, Feed], data_dir: Path, warehouse: Path, output: Path, settings: dict[str, str]
) -> int:
    """The facts floor into a new file ``output``; the landed files listed from ``warehouse``.

    Returns the number of facts written.
    """
    con = connect(output, settings)
    try:
        con.execute(f"attach {_literal(str(warehouse))} as source (read_only)")
        landed = {
            source: [
                row[0]
                for row in con.execute(
                    "select landed_path from source.landing.ingested_files"
                    " where source = ? and status = 'landed' order by received_at, landed_path",
                    [source],
                ).fetchall()
            ]
            for source in ("flights", "weather")
        }
        con.execute(facts_floor_sql(feeds, data_dir, landed))
        return con.execute("select count(*) from facts").fetchall()[0][0]
    finally:
        con.close()
