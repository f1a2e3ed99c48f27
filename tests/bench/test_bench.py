"""The benchmark's pieces: the dataops CLI as its child processes call it, the floor."""

from __future__ import annotations

import csv
import json
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from dataops.bench import pipeline as bench
from dataops.bench.floor import run_floor

ROOT = Path(__file__).parents[2]


def test_the_benchmark_calls_the_dataops_cli() -> None:
    done = subprocess.run(
        [*bench.DATAOPS, "generate", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: dataops generate" in done.stdout


def test_the_floor_loads_the_seeds_its_models_read(tmp_path: Path) -> None:
    """A seed in dbt's build order is loaded from its CSV before the models that read it."""
    seed_id = "seed.nycflights.us_federal_holidays"
    model_id = "model.nycflights.holiday_count"
    manifest = {
        "nodes": {
            seed_id: {
                "resource_type": "seed",
                "schema": "seeds",
                "alias": "us_federal_holidays",
                "name": "us_federal_holidays",
                "root_path": str(ROOT),
                "original_file_path": "seeds/us_federal_holidays.csv",
            },
            model_id: {
                "resource_type": "model",
                "schema": "marts",
                "alias": "holiday_count",
                "name": "holiday_count",
                "config": {"materialized": "table"},
                "compiled_code": "select count(*) as holidays from seeds.us_federal_holidays",
            },
        }
    }
    results = {"results": [{"unique_id": seed_id}, {"unique_id": model_id}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "run_results.json").write_text(json.dumps(results), encoding="utf-8")
    warehouse = tmp_path / "floor.duckdb"
    run_floor(tmp_path, warehouse, {"threads": "1"})
    with (ROOT / "seeds" / "us_federal_holidays.csv").open(encoding="utf-8") as seed:
        expected = len(list(csv.DictReader(seed)))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select holidays from marts.holiday_count").fetchall() == [(expected,)]
        first = con.execute("select min(holiday_date) from seeds.us_federal_holidays").fetchone()
    finally:
        con.close()
    assert first is not None and isinstance(first[0], date)


def test_the_floor_leaves_out_python_models(tmp_path: Path) -> None:
    """A Python model (the scoring) in dbt's build order is not replayed as SQL."""
    python_id = "model.nycflights.ml_delay_predictions"
    model_id = "model.nycflights.holiday_count"
    manifest = {
        "nodes": {
            python_id: {
                "resource_type": "model",
                "language": "python",
                "schema": "marts",
                "alias": "ml_delay_predictions",
                "name": "ml_delay_predictions",
                "config": {"materialized": "incremental"},
                "compiled_code": (ROOT / "models/marts/ml/ml_delay_predictions.py").read_text(
                    encoding="utf-8"
                ),
            },
            model_id: {
                "resource_type": "model",
                "language": "sql",
                "schema": "marts",
                "alias": "holiday_count",
                "name": "holiday_count",
                "config": {"materialized": "table"},
                "compiled_code": "select 2 as holidays",
            },
        }
    }
    results = {"results": [{"unique_id": python_id}, {"unique_id": model_id}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "run_results.json").write_text(json.dumps(results), encoding="utf-8")
    warehouse = tmp_path / "floor.duckdb"
    run_floor(tmp_path, warehouse, {"threads": "1"})
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    finally:
        con.close()
    assert tables == [("holiday_count",)]


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    """A new day's `dataops build` (every command) starts without loading what it does not use:
    pandas and numpy (feed, generate, the report's model pages), sqlglot (lineage), MLflow,
    dbt (imported by the commands that run it)."""
    heavy = ("pandas", "numpy", "pyarrow", "sqlglot", "mlflow", "dbt", "dagster")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, dataops.cli; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))",
            *heavy,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def test_a_log_line_outside_a_terminal_is_one_whole_line(capsys) -> None:
    """In CI or cron (stderr not a terminal) a record is one line: a long path is not cut."""
    from dataops.cli.group import log_handler

    logger = logging.getLogger("dataops.test_whole_lines")
    handler = log_handler()
    logger.addHandler(handler)
    logger.propagate = False
    path = "warehouse/" + "a long folder/" * 12 + "ci.duckdb"
    try:
        logger.warning("the warehouse %s is locked", path)
    finally:
        logger.removeHandler(handler)
    assert capsys.readouterr().err == f"WARNING  the warehouse {path} is locked\n"
