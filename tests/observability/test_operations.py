"""What a run costs, recorded (``dataops.observability.resources``), its budgets and its metrics.

A copy of the project whose warehouse budget (``operations_warehouse_budget_gb``) is
smaller than three days of data is fed 2013-01-01..03, ingested and built on the ci
target, each step inside ``resources.recorded``. Then the record is checked against
what the OS (file sizes, psutil, getrusage) and DuckDB report, the budget passed is
alerted once, and ``dataops metrics`` is read with prometheus_client's own parser,
written to a file and served on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psutil
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from dataops.cli import main
from dataops.core.build import build
from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.ingest.run import ingest
from dataops.observability import alerts, budgets, metrics, report, resources, storage
from dataops.observability.alert_messages import Message
from tests.conftest import FED_END, FED_START
from tests.observability.test_browser import Watched, chromium

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "data", "warehouse", "build", "target", "logs", "__pycache__", "*.egg-info"
)
MEMORY_LIMIT = "2GB"
# smaller than three days' warehouse (tens of MB), far below the landing budget
WAREHOUSE_BUDGET_GB = 0.001


def budgeted_project(folder: Path) -> Project:
    """A copy of the project with a warehouse budget three days of data pass."""
    shutil.copytree(ROOT, folder, ignore=COPY_IGNORE)
    path = folder / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    default = yaml.safe_load(text)["vars"]["operations_warehouse_budget_gb"]
    line = f"operations_warehouse_budget_gb: {default}"
    assert line in text
    path.write_text(
        text.replace(line, f"operations_warehouse_budget_gb: {WAREHOUSE_BUDGET_GB}"),
        encoding="utf-8",
    )
    return Project(folder)


def folder_usage(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files), len(files)


@pytest.fixture(scope="module")
def recorded_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("operations")
    monkeypatch = pytest.MonkeyPatch()
    project = budgeted_project(base / "project")
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(project.root))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.setenv("DATAOPS_DUCKDB_MEMORY_LIMIT", MEMORY_LIMIT)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    monkeypatch.delenv("DATAOPS_ALERT_URLS", raising=False)
    monkeypatch.delenv("DATAOPS_RECORD_RESOURCES", raising=False)
    try:
        feed(load_feeds(project.models_dir), project.inbox_dir, FED_START, FED_END)
        with resources.recorded(project, "ci", "ingest"):
            ingest(project, "ci", settle_seconds=0)
        warehouse = project.warehouse_path("ci")
        started = time.perf_counter()
        with resources.recorded(project, "ci", "build") as run:
            build(project, "ci", artifacts_dir=base / "dbt")
            # what the OS says at the end of the block, before the record is written
            rss_inside = psutil.Process().memory_info().rss
            file_bytes = warehouse.stat().st_size
            landing = folder_usage(project.landing_dir)
        wall = time.perf_counter() - started
        yield {
            "project": project,
            "warehouse": warehouse,
            "run": run,
            "rss_inside": rss_inside,
            "file_bytes": file_bytes,
            "landing": landing,
            "wall": wall,
            "monkeypatch": monkeypatch,
            "base": base,
        }
    finally:
        monkeypatch.undo()


def records(warehouse: Path, query: str, parameters: list | None = None) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(query, parameters or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _peak_kib(pid: int) -> int:
    """A running process's peak resident memory (VmHWM of /proc/PID/status), in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:  # ended meanwhile: counted in RUSAGE_CHILDREN once waited for
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )


def test_a_build_records_what_the_os_and_duckdb_report(recorded_build: dict) -> None:
    warehouse: Path = recorded_build["warehouse"]
    run = recorded_build["run"]
    rows = records(warehouse, "select * from observability.run_resources order by started_at")
    assert [(row["command"], row["status"]) for row in rows] == [
        ("ingest", "success"),
        ("build", "success"),
    ]
    built = rows[1]
    assert built["run_id"] == run.run_id and built["target"] == "ci"
    # time: the block's wall time, and CPU time no more than the cores could give it
    assert 0 < built["wall_seconds"] <= recorded_build["wall"]
    assert 0 < built["cpu_seconds"] <= built["wall_seconds"] * psutil.cpu_count() + 1
    # memory: at least what psutil saw inside the block, at most the OS's own high-water marks:
    # this process's, its ended children's, and those of children still running (a test
    # worker may hold some: a browser, a server), whose peak is their VmHWM
    high_water = 1024 * (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        + sum(_peak_kib(child.pid) for child in psutil.Process().children(recursive=True))
    )
    assert recorded_build["rss_inside"] <= built["peak_rss_bytes"] <= high_water
    assert built["samples"] >= 2
    # what the recording itself cost, measured beside it and kept in the record
    assert built["sampling_cpu_seconds"] == run.sampling_cpu_seconds
    assert 0 < built["sampling_cpu_seconds"] < built["cpu_seconds"]
    assert 0 < built["writing_seconds"] <= run.writing_seconds < built["wall_seconds"]
    # DuckDB: its memory limit as DuckDB reads the profile's setting, its memory under it
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.close()
    assert built["duckdb_memory_limit_bytes"] == storage.parse_bytes(limit)
    assert 0 < built["peak_duckdb_memory_bytes"] <= built["duckdb_memory_limit_bytes"]
    # disk: the warehouse file and the landing folder as the OS sizes them
    assert built["warehouse_bytes"] == recorded_build["file_bytes"]
    assert (built["landing_bytes"], built["landing_files"]) == recorded_build["landing"]
    assert built["landing_files"] > 0
    assert built["peak_spill_bytes"] >= 0


def test_a_run_another_process_recorded_reads_back_as_its_metadata(recorded_build: dict) -> None:
    """Dagster's training asset reads what its child `dataops train` recorded, so."""
    project: Project = recorded_build["project"]
    figures = resources.recorded_metadata(project, "ci", "build")
    assert figures == resources.metadata(recorded_build["run"])
    assert figures["peak rss bytes"] > 0 and figures["warehouse bytes"] > 0
    assert resources.recorded_metadata(project, "ci", "train") == {}  # none recorded


def test_each_zone_is_sized_by_the_blocks_and_rows_duckdb_reports(recorded_build: dict) -> None:
    warehouse: Path = recorded_build["warehouse"]
    run_id = recorded_build["run"].run_id
    zones = {
        row["zone"]: row
        for row in records(
            warehouse, "select * from observability.zone_sizes where run_id = ?", [run_id]
        )
    }
    tables = records(
        warehouse,
        "select schema_name, table_name from duckdb_tables()"
        " where database_name = current_database() and not temporary",
    )
    # every schema with a table is a zone (observability's two new tables came after)
    assert set(zones) == {table["schema_name"] for table in tables}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        size = con.execute("pragma database_size").fetchall()[0]
        for zone, row in zones.items():
            if zone == "observability":
                continue  # its row counts grew with this very record
            names = [table["table_name"] for table in tables if table["schema_name"] == zone]
            counted = sum(
                con.execute(f'select count(*) from "{zone}"."{name}"').fetchall()[0][0]
                for name in names
            )
            assert row["row_count"] == counted, zone
    finally:
        con.close()
    block_size, used = size[2], size[3] - size[5]
    assert all(row["bytes"] == row["block_count"] * block_size for row in zones.values())
    assert sum(row["block_count"] for row in zones.values()) <= used
    assert sum(row["share_of_used"] for row in zones.values()) <= 1
    assert zones["marts"]["bytes"] > 0 and zones["trusted"]["bytes"] > 0


def budget_keys(message: Message) -> list[str]:
    return [key for key in message.keys if key.startswith("budget")]


def test_a_store_over_its_budget_is_alerted_once(recorded_build: dict) -> None:
    project: Project = recorded_build["project"]
    first = alerts.check_history(project, "ci", urls=[])
    budget = [message for message in first.delivered if budget_keys(message)]
    assert len(budget) == 1, [message.title for message in first.delivered]
    assert budget_keys(budget[0]) == ["budget:warehouse:ci"]
    assert "the warehouse file of ci" in budget[0].title
    assert "over its budget" in budget[0].title
    assert "budget:warehouse:ci" in first.open_keys
    # no memory finding: the build stayed under 80% of DuckDB's limit
    assert not any(key.startswith("budget:memory") for key in first.open_keys)
    second = alerts.check_history(project, "ci", urls=[])
    assert not [message for message in second.delivered if budget_keys(message)]
    assert "budget:warehouse:ci" in second.open_keys


def test_metrics_parse_with_prometheus_own_parser_and_carry_every_family(
    recorded_build: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "textfile" / "dataops.prom"
    output.parent.mkdir()
    assert main(["metrics", "--target", "ci", "--output", str(output)]) == 0
    assert not [path for path in output.parent.iterdir() if path != output]  # no temporary left
    families = {
        family.name: family for family in text_string_to_metric_families(output.read_text())
    }
    assert set(families) == {f"{metrics.PREFIX}_{name}" for name in metrics.FAMILIES}
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families.values()
        for sample in family.samples
    }
    build = records(
        recorded_build["warehouse"],
        "select * from observability.run_resources order by ended_at desc limit 1",
    )[0]
    assert samples[("dataops_up", (("target", "ci"),))] == 1
    assert samples[("dataops_warehouse_bytes", (("target", "ci"),))] == build["warehouse_bytes"]
    peak = (("command", "build"), ("kind", "rss"), ("target", "ci"))
    assert samples[("dataops_run_peak_memory_bytes", peak)] == build["peak_rss_bytes"]
    zones = [labels for name, labels in samples if name == "dataops_zone_rows"]
    assert {dict(labels)["zone"] for labels in zones} >= {"landing", "trusted", "marts"}
    # printed, the same families
    assert main(["metrics", "--target", "ci"]) == 0
    printed = {family.name for family in text_string_to_metric_families(capsys.readouterr().out)}
    assert printed == set(families)


def test_the_operations_page_draws_every_run_offline(recorded_build: dict) -> None:
    output = recorded_build["base"] / "report.html"
    manifest = recorded_build["base"] / "dbt" / "target" / "manifest.json"
    report.generate(recorded_build["warehouse"], manifest, output)
    runs = records(recorded_build["warehouse"], "select * from observability.run_resources")
    with chromium({"width": 1280, "height": 900}) as context:
        watched = Watched(context)
        page = watched.page
        page.goto(output.as_uri() + "#operations")
        page.click("#tabs button[data-page=operations]")
        page.wait_for_selector("#chart-operations-memory .main-svg")
        for chart in ("memory", "disk", "zones", "time"):
            assert page.locator(f"#chart-operations-{chart} .main-svg").count() >= 1, chart
        assert page.locator("#operations-runs tbody tr").count() == len(runs)
        trends = page.locator("#operations-trends tbody tr")
        assert trends.count() == len(budgets.STORES)  # one target: one row per store
        assert page.locator("#operations-slowest tbody tr").count() > 0
        watched.shot("report-operations")
        assert watched.errors == [] and watched.external == []


def other_addresses() -> list[str]:
    """This machine's IPv4 addresses besides 127.0.0.1 (127.0.0.2 is loopback, not bound)."""
    found = {
        address.address
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family == socket.AF_INET
    }
    return sorted((found | {"127.0.0.2"}) - {metrics.LOOPBACK})


def test_the_served_metrics_answer_on_127_0_0_1_only(recorded_build: dict) -> None:
    with socket.socket() as probe:
        probe.bind((metrics.LOOPBACK, 0))
        port = probe.getsockname()[1]
    server, _thread = metrics.serve(recorded_build["warehouse"], "ci", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
            body = answer.read().decode("utf-8")
        names = {family.name for family in text_string_to_metric_families(body)}
        assert "dataops_zone_bytes" in names
        for address in other_addresses():
            with socket.socket() as client:
                client.settimeout(5)
                assert client.connect_ex((address, port)) != 0, address
    finally:
        server.shutdown()
        server.server_close()


@given(
    slope=st.floats(min_value=1e3, max_value=1e9),
    start=st.floats(min_value=0, max_value=1e10),
    days=st.lists(st.floats(min_value=0, max_value=365), min_size=2, max_size=30, unique=True),
    ahead=st.floats(min_value=1, max_value=1000),
)
def test_a_straight_growth_meets_its_budget_on_the_day_the_line_says(
    slope: float, start: float, days: list[float], ahead: float
) -> None:
    origin = datetime(2013, 1, 1)
    days = sorted(days)
    points = [(origin + timedelta(days=day), start + slope * day) for day in days]
    budget = start + slope * (days[-1] + ahead)
    met = budgets.reaches_budget(points, budget)
    assert met is not None
    when, fitted = met
    assert fitted == pytest.approx(slope, rel=1e-6)
    expected = origin + timedelta(days=days[-1] + ahead)
    assert abs((when - expected).total_seconds()) < 60


def history_con(
    sizes: list[float], budget: int, spacing: timedelta = timedelta(days=1)
) -> duckdb.DuckDBPyConnection:
    """An in-memory run history of builds ``spacing`` apart whose warehouse had ``sizes``."""
    con = duckdb.connect()
    con.execute("create schema observability")
    columns = ", ".join(f"{name} {kind}" for name, kind in resources.RUN_COLUMNS)
    con.execute(f"create table observability.run_resources ({columns})")
    origin = datetime(2013, 1, 1)
    for day, size in enumerate(sizes):
        values = {
            "run_id": f"run{day}",
            "command": "build",
            "target": "dev",
            "status": "success",
            "warehouse_bytes": int(size),
            "warehouse_budget_bytes": budget,
            "landing_bytes": 0,
            "landing_budget_bytes": budget,
            "ended_at": origin + spacing * day,
        }
        marks = ", ".join("?" for _ in resources.RUN_COLUMNS)
        con.execute(
            f"insert into observability.run_resources values ({marks})",
            [values.get(name) for name, _kind in resources.RUN_COLUMNS],
        )
    return con


@given(runs=st.integers(min_value=2, max_value=30), minutes=st.integers(min_value=1, max_value=60))
def test_no_trend_is_drawn_from_runs_that_span_less_than_a_day(runs: int, minutes: int) -> None:
    """Runs minutes apart (a catch-up, a test run) growing fast predict nothing of the month."""
    growth = 10**8
    sizes = [growth * (run + 1) for run in range(runs)]
    budget = growth * (runs + 10)  # ten more runs' growth: met ten spacings after the last
    spacing = timedelta(minutes=minutes)
    if spacing * (runs - 1) < budgets.TREND_MIN_SPAN:
        assert budgets.findings(history_con(sizes, budget, spacing)) == []
    # the same growth a day apart meets the budget in ten days: alerted
    found = budgets.findings(history_con(sizes, budget))
    assert [finding.kind for finding in found] == ["budget_trend"]


@given(
    growth=st.integers(min_value=1_000, max_value=10**8),
    runs=st.integers(min_value=2, max_value=20),
    # 30 days exactly is the horizon's edge, where rounding decides
    margin=st.integers(min_value=1, max_value=60).filter(lambda days: days != 30),
)
def test_a_growth_trend_alerts_only_when_it_meets_the_budget_within_30_days(
    growth: int, runs: int, margin: int
) -> None:
    sizes = [10**9 + growth * day for day in range(runs)]
    budget = sizes[-1] + growth * margin
    con = history_con(sizes, budget)
    try:
        found = [item for item in budgets.findings(con) if item.key.startswith("budget_trend")]
    finally:
        con.close()
    if margin <= budgets.TREND_HORIZON_DAYS:
        (finding,) = found
        met = datetime(2013, 1, 1) + timedelta(days=runs - 1 + margin)
        # the fitted line meets the budget on that day (a rounding may put it just before)
        assert any(f"{day:%Y-%m-%d}" in finding.title for day in (met, met - timedelta(hours=1)))
        assert finding.kind == "budget_trend"
    else:
        assert found == []


def test_the_recording_can_be_turned_off(
    project_env: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAOPS_RECORD_RESOURCES", "0")
    with resources.recorded(project_env, "ci", "build") as run:
        pass
    assert run.samples == 0 and run.status == "running"
    assert not project_env.warehouse_path("ci").exists()


def test_a_record_waits_while_another_process_holds_the_warehouse(
    recorded_build: dict, tmp_path: Path
) -> None:
    project: Project = recorded_build["project"]
    held = project.warehouse_path("dev")  # a copy of the ci warehouse, for this test alone
    shutil.copyfile(recorded_build["warehouse"], held)
    ready = tmp_path / "ready"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, pathlib, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "pathlib.Path(sys.argv[2]).touch()\n"
            "time.sleep(600)\n",
            str(held),
            str(ready),
        ]
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and time.monotonic() < deadline and holder.poll() is None:
            time.sleep(0.1)
        assert ready.exists()
        waiting = resources.RunResources(command="build", target="dev", ended_at="2013-01-04")
        resources.finish(project, waiting)  # held: spooled, not raised
        spool = held.with_name("dev.resources.jsonl")
        assert waiting.run_id in spool.read_text(encoding="utf-8")
    finally:
        holder.kill()
        holder.wait()
    later = resources.RunResources(command="build", target="dev", ended_at="2013-01-05")
    resources.finish(project, later)
    assert not spool.exists()
    rows = records(held, "select run_id, warehouse_bytes from observability.run_resources")
    written = {row["run_id"]: row["warehouse_bytes"] for row in rows}
    assert waiting.run_id in written and later.run_id in written
    assert written[later.run_id] == later.warehouse_bytes > 0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_prod_is_written_by_its_publish_only(recorded_build: dict, tmp_path: Path) -> None:
    """A run on prod spools its record; a publish writes it, and its own, into the candidate."""
    project: Project = recorded_build["project"]
    prod = project.warehouse_path("prod")
    prod.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(recorded_build["warehouse"], prod)
    before = sha256(prod)
    spool = prod.with_name("prod.resources.jsonl")

    with resources.recorded(project, "prod", "train") as trained:
        pass
    assert trained.status == "success"
    assert sha256(prod) == before  # not opened for writing: a reader of prod meets no lock
    assert trained.run_id in spool.read_text(encoding="utf-8")

    # a publish whose swap fails after its record went into the candidate: spooled as error
    candidate = tmp_path / "candidate.duckdb"
    shutil.copyfile(prod, candidate)
    with pytest.raises(OSError), resources.recorded(project, "prod", "publish") as failed:
        resources.record_into(project, failed, candidate)
        raise OSError("the swap failed")
    assert failed.status == "error"
    spooled = [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines()]
    assert [(r["run_id"], r["status"]) for r in spooled] == [
        (trained.run_id, "success"),
        (failed.run_id, "error"),
    ]

    # the next publish: its record and the spooled ones go into its candidate, prod untouched
    candidate.unlink()
    shutil.copyfile(prod, candidate)
    with resources.recorded(project, "prod", "publish") as published:
        time.sleep(0.2)
        resources.record_into(project, published, candidate)
        assert spool.exists()  # kept till the publish went through
        # a command on prod ending between the publish's write and its swap: kept
        with resources.recorded(project, "prod", "train") as meanwhile:
            pass
    assert published.status == "success" and published.recorded_into == str(candidate)
    assert sha256(prod) == before
    left = [json.loads(line)["run_id"] for line in spool.read_text(encoding="utf-8").splitlines()]
    assert left == [meanwhile.run_id]  # waits for the next publish
    rows = records(
        candidate,
        "select run_id, command, status, wall_seconds, warehouse_bytes"
        " from observability.run_resources where target = 'prod'",
    )
    by_id = {row["run_id"]: row for row in rows}
    assert set(by_id) == {trained.run_id, failed.run_id, published.run_id}
    assert by_id[published.run_id]["status"] == "success"
    assert by_id[published.run_id]["wall_seconds"] >= 0.2
    assert by_id[published.run_id]["warehouse_bytes"] > 0
    assert by_id[failed.run_id]["status"] == "error"
