"""Known gaps of the real data (seeds/known_data_gaps.csv): recorded, not alerted, not counted.

Three real days are built (the seed loaded into ``seeds.known_data_gaps`` by the
build). Into a copy of that warehouse, the latest result of the weather volume test
is written as the anomaly test writes it when it flags a period (status ``warn``,
its ``anomaly_details`` the JSON the recorder stores), for a day the seed lists: the
alert pipeline does not raise it, the report's payload marks it known with the seed's
reason, and the report opened in chromium counts one volume alert and one anomaly
less than with the seed's row deleted, and shows "known: <reason>". The same flag with
the seed's row deleted, or without the seed table, or on a day the seed does not list,
is raised.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataops.observability import alert_problems, known_gaps, report
from tests.observability.test_browser import Watched

MODEL, TEST, METRIC = "ldg_weather__observations", "volume_anomaly", "row_count"


@pytest.fixture(scope="module")
def built(built_days: dict) -> Path:
    """The session's build of FED_START..FED_END on the ci target (conftest): its warehouse."""
    return built_days["warehouse"]


def seed_gap(warehouse: Path) -> tuple[date, str]:
    """The first known gap of the weather volume test in the built seed: its day and reason."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select period_date, reason from seeds.known_data_gaps"
            " where model_name = ? and test_short_name = ? and metric = ?"
            " order by period_date limit 1",
            [MODEL, TEST, METRIC],
        ).fetchone()
    finally:
        con.close()


def flag(built: Path, folder: Path, day: date) -> tuple[Path, str]:
    """A copy of ``built`` whose latest weather volume result flags ``day``, and the test's id.

    The details are made by the recorder's own expression (macros/observability/
    observability_stored_rows.sql): a JSON list of metric, period, band, actual, flag.
    """
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / built.name  # the same name: its views read the catalog "ci"
    shutil.copy2(built, warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        unique_id, invocation_id = con.execute(
            """
            select results.unique_id, results.invocation_id
            from observability.test_results as results
            inner join observability.invocations as runs using (invocation_id)
            where results.test_short_name = ? and results.model_unique_id like ?
            order by runs.started_at desc limit 1
            """,
            [TEST, f"model.%.{MODEL}"],
        ).fetchone()
        details = con.execute(
            """
            select cast(to_json(list(struct_pack(
                metric, period, expected_lower, expected_upper, actual, is_anomalous
            ) order by metric, period)) as varchar)
            from (
                select ? as metric, cast(? as date) as period, 70.0 as expected_lower,
                    74.0 as expected_upper, 64.0 as actual, true as is_anomalous
            )
            """,
            [METRIC, day],
        ).fetchone()[0]
        con.execute(
            """
            update observability.test_results
            set status = 'warn', failures = 1, anomaly_details = ?
            where unique_id = ? and invocation_id = ?
            """,
            [details, unique_id, invocation_id],
        )
    finally:
        con.close()
    return warehouse, unique_id


def anomaly_keys(warehouse: Path) -> set[str]:
    con = alert_problems.connect(warehouse)
    try:
        problems = alert_problems.history_problems(con, warehouse)
    finally:
        con.close()
    return {problem.key for problem in problems if problem.kind == "anomaly"}


def test_a_known_gap_is_recorded_but_not_alerted_nor_counted(built: Path, tmp_path: Path) -> None:
    day, why = seed_gap(built)
    warehouse, unique_id = flag(built, tmp_path, day)
    key = f"anomaly:{unique_id}:{METRIC}:{day.isoformat()}"

    assert key not in anomaly_keys(warehouse)
    payload = report.collect(warehouse, None)
    assert payload["tests"][unique_id]["status"] == "warn"  # still recorded as flagged
    assert payload["known_gaps"][unique_id] == {
        "periods": {f"{METRIC} {day.isoformat()}": why},
        "open": 0,
    }


def dashboard(browser: Watched, built: Path, warehouse: Path) -> tuple[int, int]:
    """The report of ``warehouse`` (a copy of ``built``) opened: its two cards of anomalies."""
    output = warehouse.parent / "report.html"
    report.generate(warehouse, built.parents[1] / "dbt" / "target" / "manifest.json", output)
    page = browser.page
    page.goto(output.as_uri())
    page.wait_for_selector("[data-counter='anomalies flagged'] .value")
    cards = ("volume alerts", "anomalies flagged")
    volume, anomalies = (
        int(page.inner_text(f"[data-counter='{card}'] .value").replace(",", "")) for card in cards
    )
    return volume, anomalies


def test_the_report_does_not_count_a_known_gap_and_shows_its_reason(
    built: Path, tmp_path: Path, browser: Watched
) -> None:
    day, why = seed_gap(built)
    known, unique_id = flag(built, tmp_path / "known", day)
    counted = known.parent.parent / "counted"
    shutil.copytree(known.parent, counted)
    con = duckdb.connect(str(counted / known.name))
    try:
        con.execute(f"delete from seeds.{known_gaps.TABLE}")
    finally:
        con.close()

    without_seed = dashboard(browser, built, counted / known.name)
    with_seed = dashboard(browser, built, known)
    assert with_seed == (without_seed[0] - 1, without_seed[1] - 1)
    page = browser.page
    page.click("#tabs button[data-page=tests]")
    page.fill("#test-search", unique_id.split(".")[2])
    page.locator("#tests-table tbody tr").first.click()
    page.wait_for_selector("#test-detail li")
    assert f"{METRIC} of {day.isoformat()}" in page.inner_text("#test-detail")
    assert f"known: {why}" in page.inner_text("#test-detail")
    assert browser.errors == []


@pytest.mark.parametrize("removal", ["delete from", "drop table"])
def test_the_same_flag_without_its_seed_row_is_alerted_and_counted(
    built: Path, tmp_path: Path, removal: str
) -> None:
    day, _ = seed_gap(built)
    warehouse, unique_id = flag(built, tmp_path, day)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"{removal} seeds.{known_gaps.TABLE}")
    finally:
        con.close()

    assert f"anomaly:{unique_id}:{METRIC}:{day.isoformat()}" in anomaly_keys(warehouse)
    assert unique_id not in report.collect(warehouse, None)["known_gaps"]


def test_a_flag_on_a_day_the_seed_does_not_list_is_alerted(built: Path, tmp_path: Path) -> None:
    day, _ = seed_gap(built)
    other = day - timedelta(days=1)
    warehouse, unique_id = flag(built, tmp_path, other)

    assert f"anomaly:{unique_id}:{METRIC}:{other.isoformat()}" in anomaly_keys(warehouse)
    assert unique_id not in report.collect(warehouse, None)["known_gaps"]


names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
flags = st.tuples(
    names,
    names,
    st.one_of(st.just(""), names),
    names,
    st.dates(date(2013, 1, 1), date(2030, 12, 31)),
)


@given(gap=flags, other=flags)
def test_a_gap_matches_its_own_model_test_column_metric_and_day_only(
    gap: tuple, other: tuple
) -> None:
    model, test, column, metric, day = gap
    gaps = {known_gaps.gap_key(model, test, column, metric, day): "reason"}
    # as the recorder writes it: the model's unique id, the column as named, the period a date
    row = {"model_unique_id": f"model.nycflights.{model}", "test_short_name": test}
    row["column_name"] = column.upper() or None
    for period in (day, day.isoformat(), f"{day.isoformat()}T00:00:00"):
        assert known_gaps.reason(gaps, row, {"metric": metric, "period": period}) == "reason"
    o_model, o_test, o_column, o_metric, o_day = other
    row = {"model_unique_id": f"model.nycflights.{o_model}", "test_short_name": o_test}
    row["column_name"] = o_column or None
    matched = known_gaps.reason(gaps, row, {"metric": o_metric, "period": o_day.isoformat()})
    assert (matched == "reason") == (other == gap)
