"""The observability report: one self-contained HTML file built from schema observability.

The warehouse is opened read-only; every table of the observability contract
is read with a few aggregate queries, the result is embedded as JSON in one
HTML page with its script, style and the charting library (plotly.js, shipped
inside the pinned ``plotly`` wheel) inlined, so the file opens from disk and
makes no request. The lineage page also reads dbt's ``manifest.json`` for the
dependencies between nodes (the observability tables record runs, not the
graph); the Models page also reads the MLflow store beside the warehouse
(``dataops.ml.report_data``); the dashboard's coverage, the catalog beside the
manifest (``dataops.catalog.report_coverage``, by dbt-coverage).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dataops.catalog import glossary_site, report_coverage
from dataops.catalog.docs import DOCS_FILE, asset, inline_script, json_script
from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.core.zones import relations_in
from dataops.ml import report_data
from dataops.observability import known_gaps
from dataops.observability.report_lineage import lineage
from dataops.observability.report_pages import PAGES

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
SCHEMA = "observability"
# A model run counts as a regression when it took this many times its median of the
# earlier runs (those that wrote rows, when it did), and at least this many seconds more.
REGRESSION_RATIO = 1.5
REGRESSION_MIN_SECONDS = 0.5


@dataclass(frozen=True)
class ReportOutcome:
    path: Path
    invocations: int
    seconds: float
    size_bytes: int


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds") if value else None


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _loads(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _invocations(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = _rows(
        con,
        f"""
        select invocation_id, command, target_name, selection, started_at, ended_at,
            status, dbt_version, node_count, error_count, warn_count
        from {SCHEMA}.invocations
        order by started_at, invocation_id
        """,
    )
    return [
        {
            "id": row[0],
            "command": row[1],
            "target": row[2],
            "selection": row[3] or "",
            "started_at": _iso(row[4]),
            "seconds": _round((row[5] - row[4]).total_seconds(), 1) if row[4] and row[5] else None,
            "status": row[6],
            "dbt_version": row[7],
            "nodes": row[8],
            "errors": row[9],
            "warnings": row[10],
        }
        for row in rows
    ]


def _tests(con: duckdb.DuckDBPyConnection, index: dict[str, int]) -> dict[str, dict]:
    tests: dict[str, dict] = {}
    for row in _rows(
        con,
        f"""
        select unique_id, invocation_id, status, failures, duration_seconds,
            test_name, test_type, test_short_name, model_unique_id, column_name, severity
        from {SCHEMA}.test_results
        """,
    ):
        test = tests.setdefault(
            row[0],
            {
                "name": row[5],
                "type": row[6],
                "short_name": row[7],
                "model": row[8],
                "column": row[9],
                "history": [],
            },
        )
        test["severity"] = row[10]
        if row[1] in index:
            test["history"].append([index[row[1]], row[2], row[3], _round(row[4])])
    latest = _rows(
        con,
        f"""
        select unique_id, message, failed_rows_sample, anomaly_details
        from {SCHEMA}.test_results as results
        inner join {SCHEMA}.invocations as runs using (invocation_id)
        qualify row_number() over (
            partition by unique_id order by runs.started_at desc
        ) = 1
        """,
    )
    rules = _rules(con)
    for unique_id, message, sample, anomaly in latest:
        test = tests[unique_id]
        test["history"].sort()
        last = test["history"][-1] if test["history"] else [None, "none", None, None]
        test["status"], test["failures"] = last[1], last[2]
        test["message"] = message
        test["sample"] = _with_rule_reasons(_loads(sample), rules)
        test["anomaly"] = _loads(anomaly)
    return tests


def _rules(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """Reason and source owner's action of each quarantine rule, from the seed (if built)."""
    try:
        rows = _rows(con, "select rule_id, reason, source_owner_action from seeds.quarantine_rules")
    except duckdb.CatalogException:
        return {}
    return {rule_id: (reason, action) for rule_id, reason, action in rows}


def _with_rule_reasons(sample: object, rules: dict[str, tuple[str, str]]) -> object:
    """Failing rows that name a quarantine rule get its reason and action from the seed."""
    if not isinstance(sample, list):
        return sample
    for row in sample:
        if isinstance(row, dict) and row.get("rule_id") in rules:
            row["reason"], row["source_owner_action"] = rules[row["rule_id"]]
    return sample


def _node_runs(con: duckdb.DuckDBPyConnection, index: dict[str, int]) -> dict[str, dict]:
    nodes: dict[str, dict] = {}
    for row in _rows(
        con,
        f"""
        select unique_id, invocation_id, status, duration_seconds, rows_affected,
            name, resource_type, schema_name, materialization, message
        from {SCHEMA}.node_runs
        where resource_type in ('model', 'snapshot', 'seed')
        """,
    ):
        node = nodes.setdefault(
            row[0],
            {"name": row[5], "type": row[6], "schema": row[7], "materialization": row[8]},
        )
        if row[1] in index:
            node.setdefault("history", []).append(
                [index[row[1]], row[2], _round(row[3]), row[4], row[9]]
            )
    for node in nodes.values():
        history = sorted(node.pop("history", []), key=lambda run: run[0])
        node["runs"] = [run[:4] for run in history]
        last = history[-1] if history else [None, "none", None, None, None]
        node["status"], node["seconds"], node["rows_affected"], node["message"] = last[1:]
        # a run that wrote no row (nothing new, no champion yet) is no measure of one that did
        wrote = (node["rows_affected"] or 0) > 0
        earlier = [run[2] for run in history[:-1] if run[2] is not None and run[1] == "success"
                   and not (wrote and run[3] == 0)]  # fmt: skip
        node["median_seconds"] = _round(statistics.median(earlier)) if earlier else None
        node["regression"] = bool(
            node["median_seconds"] is not None
            and node["seconds"] is not None
            and node["seconds"] >= REGRESSION_RATIO * node["median_seconds"]
            and node["seconds"] - node["median_seconds"] >= REGRESSION_MIN_SECONDS
        )
    return nodes


def _freshness(con: duckdb.DuckDBPyConnection, index: dict[str, int]) -> dict[str, dict]:
    sources: dict[str, dict] = {}
    for row in _rows(
        con,
        f"""
        select unique_id, invocation_id, source_name, table_name, max_loaded_at,
            snapshotted_at, age_seconds, status, warn_after_seconds, error_after_seconds
        from {SCHEMA}.source_freshness
        order by snapshotted_at
        """,
    ):
        source = sources.setdefault(
            row[0], {"name": f"{row[2]}.{row[3]}", "checks": [], "status": "none"}
        )
        source["warn_after"], source["error_after"] = row[8], row[9]
        if row[1] in index:
            source["checks"].append(
                [index[row[1]], _iso(row[4]), _iso(row[5]), _round(row[6], 0), row[7]]
            )
            source["status"] = row[7]
    return sources


def _volumes(con: duckdb.DuckDBPyConnection, index: dict[str, int]) -> dict[str, dict]:
    volumes: dict[str, dict] = {}
    for unique_id, relation, invocation_id, row_count in _rows(
        con,
        f"""
        select unique_id, relation_name, invocation_id, row_count
        from {SCHEMA}.row_volumes
        order by measured_at
        """,
    ):
        if invocation_id in index:
            entry = volumes.setdefault(unique_id, {"relation": relation, "counts": []})
            entry["counts"].append([index[invocation_id], row_count])
    return volumes


def _schema_changes(con: duckdb.DuckDBPyConnection, index: dict[str, int]) -> list[dict]:
    return [
        {
            "node": row[0],
            "run": index.get(row[1]),
            "change": row[2],
            "column": row[3],
            "previous_type": row[4],
            "type": row[5],
            "detected_at": _iso(row[6]),
        }
        for row in _rows(
            con,
            f"""
            select unique_id, invocation_id, change_type, column_name,
                previous_data_type, data_type, detected_at
            from {SCHEMA}.schema_changes
            order by detected_at desc
            """,
        )
    ]


def collect(warehouse: Path, manifest: dict | None) -> dict:
    """Everything the report shows, read from the observability tables (read-only)."""
    if not warehouse.exists():
        raise DataOpsError(f"no warehouse at {warehouse}", "run dataops build first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = relations_in(con, SCHEMA)
        if "invocations" not in present:
            raise DataOpsError(
                f"{warehouse} has no {SCHEMA}.invocations: nothing was recorded yet",
                "run dataops build (or dbt build) on this target first",
            )
        invocations = _invocations(con)
        index = {run["id"]: position for position, run in enumerate(invocations)}
        tests = _tests(con, index)
        nodes = _node_runs(con, index)
        sources = _freshness(con, index)
        volumes = _volumes(con, index)
        changes = _schema_changes(con, index) if "schema_changes" in present else []
        models = report_data.collect(con, warehouse)
        extra = {page.name: page.collect(con, warehouse) for page in PAGES}
        extra["known_gaps"] = known_gaps.collect(con)
    finally:
        con.close()
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": str(warehouse),
        "invocations": invocations,
        "tests": tests,
        "nodes": nodes,
        "sources": sources,
        "volumes": volumes,
        "schema_changes": changes,
        "lineage": lineage(manifest, nodes, tests, sources),
        "glossary": glossary_site.payload(manifest) if manifest else {"terms": [], "columns": {}},
        "models": models,
        "regression": {"ratio": REGRESSION_RATIO, "min_seconds": REGRESSION_MIN_SECONDS},
        **extra,
    }


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _with_pages(html: str) -> str:
    """The built-in pages' markup with each extra page's tab and section added."""
    tabs = "".join(
        f'  <button type="button" data-page="{page.name}">{page.title}</button>\n' for page in PAGES
    )
    sections = "".join(asset(page.html) for page in PAGES)
    return html.replace("</nav>", tabs + "</nav>", 1).replace("</main>", sections + "</main>", 1)


def render(payload: dict) -> str:
    """The report page: data, script, style and plotly.js inlined."""
    title = "Observability report"
    return "".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            "<link rel='icon' href='data:,'>",
            f"<title>{title}</title><style>",
            asset("dag.css"),
            asset("report.css"),
            "</style></head><body>",
            _with_pages(asset("report.html")),
            json_script("REPORT", payload),
            inline_script(_plotly_js()),
            inline_script(asset("dag.js")),
            *(inline_script(asset(page.script)) for page in PAGES),
            inline_script(asset("report.js")),
            "</body></html>",
        ]
    )


def _docs_link(manifest_path: Path | None, output: Path) -> str | None:
    """The docs site (``dataops docs``, beside the manifest) as seen from the report; none
    when it is not written yet."""
    if manifest_path is None:
        return None
    docs = manifest_path.parent / DOCS_FILE
    if not docs.is_file():
        return None
    return Path(os.path.relpath(docs.resolve(), output.resolve().parent)).as_posix()


def generate(warehouse: Path, manifest_path: Path | None, output: Path) -> ReportOutcome:
    """Read the observability tables, write the report to ``output``."""
    started = time.perf_counter()
    manifest = None
    if manifest_path is not None and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    else:
        log.warning("no manifest at %s: the lineage page stays empty", manifest_path)
    payload = collect(warehouse, manifest)
    payload["coverage"] = report_coverage.collect(manifest_path)
    payload["glossary"]["docs"] = _docs_link(manifest_path, output)
    html = render(payload).encode("utf-8")
    write_atomic(output, html)
    return ReportOutcome(
        path=output,
        invocations=len(payload["invocations"]),
        seconds=time.perf_counter() - started,
        size_bytes=len(html),
    )
