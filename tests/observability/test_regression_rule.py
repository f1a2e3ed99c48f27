"""The report's regression rule (``report._node_runs``), for any history of a model's runs.

A model's latest run is a regression when it took ``REGRESSION_RATIO`` times the median of
its earlier successful runs and ``REGRESSION_MIN_SECONDS`` more. A run that wrote no row
(an incremental model with nothing new, the scoring before any champion) is no measure of
a run that wrote rows: the first build of a clean demo must not make the next one a
regression. The histories are written to ``observability.node_runs`` in DuckDB and read
back by the report's own query.
"""

from __future__ import annotations

import statistics

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from dataops.observability import report

UID = "model.nycflights.ml_delay_predictions"
RUN = st.tuples(
    st.sampled_from(["success", "success", "error"]),
    st.floats(min_value=0.01, max_value=500, allow_nan=False),
    st.one_of(st.just(0), st.integers(min_value=1, max_value=10**6), st.none()),
)


def _nodes(runs: list[tuple[str, float, int | None]]) -> dict:
    con = duckdb.connect()
    con.execute(
        f"""
        create schema {report.SCHEMA};
        create table {report.SCHEMA}.node_runs (
            unique_id varchar, invocation_id varchar, status varchar, duration_seconds double,
            rows_affected bigint, name varchar, resource_type varchar, schema_name varchar,
            materialization varchar, message varchar
        )
        """
    )
    for number, (status, seconds, rows) in enumerate(runs):
        con.execute(
            f"insert into {report.SCHEMA}.node_runs values"
            " (?, ?, ?, ?, ?, 'ml_delay_predictions', 'model', 'marts', 'incremental', '')",
            [UID, f"run-{number}", status, seconds, rows],
        )
    index = {f"run-{number}": number for number in range(len(runs))}
    return report._node_runs(con, index)


@settings(max_examples=100)
@given(earlier=st.lists(RUN, min_size=1, max_size=8), latest=RUN)
def test_regression_compares_with_runs_that_did_the_same_work(
    earlier: list[tuple[str, float, int | None]], latest: tuple[str, float, int | None]
) -> None:
    node = _nodes([*earlier, latest])[UID]
    wrote = (latest[2] or 0) > 0
    comparable = [
        report._round(seconds)
        for status, seconds, rows in earlier
        if status == "success" and not (wrote and rows == 0)
    ]
    if not comparable:
        assert node["median_seconds"] is None and node["regression"] is False
        return
    median = report._round(statistics.median(comparable))
    assert node["median_seconds"] == median
    seconds = report._round(latest[1])
    assert node["regression"] == (
        seconds >= report.REGRESSION_RATIO * median
        and seconds - median >= report.REGRESSION_MIN_SECONDS
    )


@settings(max_examples=50)
@given(
    idle=st.lists(st.floats(min_value=0.01, max_value=1), min_size=1, max_size=5),
    seconds=st.floats(min_value=2, max_value=500),
    rows=st.integers(min_value=1, max_value=10**6),
)
def test_a_run_after_runs_that_wrote_nothing_is_no_regression(
    idle: list[float], seconds: float, rows: int
) -> None:
    runs = [("success", quick, 0) for quick in idle] + [("success", seconds, rows)]
    node = _nodes(runs)[UID]
    assert node["regression"] is False and node["median_seconds"] is None
