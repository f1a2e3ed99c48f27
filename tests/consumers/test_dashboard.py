"""The on-time dashboard over a real prod: its figures are the marts', it renders offline
in chromium, a filter changes it, and a publish goes through while it is served."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dataops.consumers import dashboard
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.data.feed import feed

from .conftest import DATAOPS, NEXT_DAY, ROOT, free_port, run

pytestmark = pytest.mark.e2e


def mart_rows(project: Project, sql: str) -> list[dict]:
    con = duckdb.connect(str(project.warehouse_path("prod")), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_no_prod_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(tmp_path))
    with pytest.raises(DataOpsError) as raised:
        dashboard.Reader(Project.discover(ROOT)).current()
    assert "dataops publish" in raised.value.hint


def test_figures_equal_the_marts(published: dict) -> None:
    project = published["project"]
    snapshot = dashboard.read(project)
    everything = dashboard.Filters()
    (airline,) = mart_rows(
        project,
        "select * from marts.mart_performance__airlines where airline_id = 'UA'",
    )
    (shown,) = dashboard.by_airline_month(snapshot, dashboard.Filters(airlines=("UA",))).to_dict(
        "records"
    )
    for column in dashboard.MEASURES:
        assert shown[column] == pytest.approx(airline[column], rel=1e-12), column
    route = mart_rows(
        project,
        "select * from marts.mart_performance__routes order by scheduled_flights desc,"
        " route_month_id limit 1",
    )[0]
    routes = dashboard.by_route(snapshot, dashboard.Filters(airports=(route["origin_airport_id"],)))
    cell = routes[routes["destination_airport_id"] == route["destination_airport_id"]]
    assert cell["scheduled_flights"].tolist() == [route["scheduled_flights"]]
    assert cell["on_time_arrival_rate"].tolist() == pytest.approx([route["on_time_arrival_rate"]])
    day = dashboard.Filters(airports=("JFK",), start=date(2013, 1, 2), end=date(2013, 1, 2))
    (jfk,) = mart_rows(
        project,
        "select * from marts.mart_performance__airports"
        " where origin_airport_id = 'JFK' and flight_date = date '2013-01-02'",
    )
    total = dashboard.totals(dashboard.by_airport_day(snapshot, day))
    for column in dashboard.MEASURES:
        assert total[column] == pytest.approx(jfk[column], rel=1e-12), column
    # the whole period added up equals the facts counted directly
    (facts,) = mart_rows(
        project,
        "select count(*) as scheduled_flights, count(*) filter (where is_cancelled)"
        " as cancelled_flights, avg(departure_delay_minutes) as dep,"
        " avg(arrival_delay_minutes) as arr from marts.fct_flights",
    )
    total = dashboard.totals(dashboard.by_airport_day(snapshot, everything))
    assert total["scheduled_flights"] == facts["scheduled_flights"]
    assert total["cancelled_flights"] == facts["cancelled_flights"]
    assert total["average_departure_delay_minutes"] == pytest.approx(facts["dep"], rel=1e-9)
    assert total["average_arrival_delay_minutes"] == pytest.approx(facts["arr"], rel=1e-9)
    assert str(snapshot.data_through) == "2013-01-02"
    assert snapshot.published_at is not None


@contextlib.contextmanager
def served(env: dict, port: int):
    """``dataops dashboard`` in a process of its own, until the block ends."""
    process = subprocess.Popen(
        [*DATAOPS, "dashboard", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the dashboard did not start in 60 s"
                time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_renders_offline_filters_and_never_blocks_a_publish(published: dict, browser) -> None:
    project, env = published["project"], published["env"]
    port = free_port()
    local = f"http://127.0.0.1:{port}/"
    browser.allowed = (local, f"ws://127.0.0.1:{port}/")
    with served(env, port):
        page = browser.page
        page.goto(local)
        page.wait_for_selector("#stamp", timeout=60_000)
        assert "data through 2013-01-02" in page.inner_text("#stamp")
        assert "prod published" in page.inner_text("#stamp")
        flights = page.inner_text("#headline")
        (everything,) = mart_rows(project, "select count(*) as flights from marts.fct_flights")
        assert f"{everything['flights']:,}" in flights
        page.wait_for_timeout(3000)  # the charts' frames load plotly.js from the server
        assert browser.errors == []
        browser.shot("dashboard-on-time")

        # a filter: JFK alone
        page.get_by_text("Select...").nth(1).click()
        page.get_by_role("option", name="JFK").click()
        page.keyboard.press("Escape")
        (jfk,) = mart_rows(
            project,
            "select sum(scheduled_flights) as flights from marts.mart_performance__airports"
            " where origin_airport_id = 'JFK'",
        )
        page.wait_for_function(
            "text => document.querySelector('#headline')?.innerText.startsWith(text)",
            arg=f"{jfk['flights']:,} flights",
        )
        assert jfk["flights"] < everything["flights"]

        # a publish of the next day while the dashboard is served and read in a loop
        feed_env = {**os.environ, **env}
        from dataops.data.sources import load_feeds

        feed(load_feeds(ROOT / "models"), project.inbox_dir, NEXT_DAY, NEXT_DAY)
        reads, stop = [], threading.Event()

        def read_in_a_loop() -> None:
            while not stop.is_set():
                with contextlib.suppress(DataOpsError):
                    reads.append(dashboard.read(project).data_through)

        reader = threading.Thread(target=read_in_a_loop)
        reader.start()
        try:
            publish = run(feed_env, "publish")
        finally:
            stop.set()
            reader.join()
        assert publish.returncode == 0, publish.stderr
        assert len(reads) > 1
        page.get_by_role("button", name="Reload").click()
        page.wait_for_function(
            "() => document.querySelector('#stamp')?.innerText.includes('2013-01-03')"
        )
        assert browser.external == []
        # a filter or Reload replaces the charts' frames: a load of the old frame cut short
        # (aborted, or its marimo file dropped mid-transfer) is the only failure allowed
        assert [
            error
            for error in browser.errors
            if not error.startswith((f"failed: {local}", "Failed to load resource: net::ERR_"))
        ] == []
