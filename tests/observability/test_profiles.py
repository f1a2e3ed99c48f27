"""Column profiles, their hygiene findings and the Profiles page, on real days.

One warehouse fed, ingested and built a day at a time over three real days that hold
known defects (the 1,048 mph wind reading of 2013-02-12, planes without a year of
manufacture, destinations missing from the airports list): every build's hook
profiles what it built, a day-keyed table only on the days the build changed.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.observability import hygiene, profiles, report

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
FIRST = date(2013, 2, 11)
DAYS = 3
ZONES = {"landing", "staging", "trusted", "quarantine", "marts", "snapshots", "seeds"}
# Fields a whole-table profile assembled from parts holds exactly.
EXACT = ("row_count", "null_count", "min_value", "max_value", "zero_share", "negative_share")


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory, feeds: dict[str, Feed]) -> dict:
    """FIRST and the next days, each fed, ingested and built on the ci target in turn."""
    from dataops.core.build import build
    from dataops.ingest.run import ingest

    base = tmp_path_factory.mktemp("profiled")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    try:
        project = Project.discover(ROOT)
        for offset in range(DAYS):
            day = FIRST + timedelta(days=offset)
            feed(feeds, project.inbox_dir, day, day)
            ingest(project, "ci")
            build(project, "ci", artifacts_dir=base / "dbt")
        yield {
            "project": project,
            "warehouse": project.warehouse_path("ci"),
            "manifest": json.loads((base / "dbt" / "target" / "manifest.json").read_text()),
            "base": base,
        }
    finally:
        monkeypatch.undo()


def _connect(daily: dict) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(daily["warehouse"]), read_only=True)


def _latest(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, dict]:
    cursor = con.execute(
        f"select * from ({hygiene.LATEST}) where split_part(unique_id, '.', -1) = ?", [name]
    )
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["column_name"]: row for row in rows}


def test_every_relation_of_every_zone_has_a_profile_row_per_column(daily: dict) -> None:
    nodes = [
        node
        for node in daily["manifest"]["nodes"].values()
        if node["resource_type"] in ("model", "snapshot", "seed")
        and node["schema"] in ZONES
        and node["config"]["materialized"] != "ephemeral"
        and node["config"]["enabled"]
    ]
    assert {node["schema"] for node in nodes} == ZONES
    with _connect(daily) as con:
        for node in nodes:
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = ? and table_name = ?",
                    [node["schema"], node["alias"]],
                ).fetchall()
            }
            profiled = set(_latest(con, node["name"]))
            assert columns, node["unique_id"]
            assert profiled == columns, node["unique_id"]


def test_profiled_figures_equal_direct_queries(daily: dict) -> None:
    with _connect(daily) as con:
        for name, relation in [
            ("trusted_flights", "trusted.trusted_flights"),
            ("stg_weather__observations", "staging.stg_weather__observations"),
            ("dim_planes", "marts.dim_planes"),
        ]:
            for column, profile in _latest(con, name).items():
                quoted = f'"{column}"'
                rows, nulls = con.execute(
                    f"select count(*), count(*) - count({quoted}) from {relation}"
                ).fetchone()
                assert (profile["row_count"], profile["null_count"]) == (rows, nulls), column
                if profile["type_family"] == "number":
                    low, high, mean, spread = con.execute(
                        # in double precision, as the profile sums them (REAL columns too)
                        f"select min({quoted}), max({quoted}), avg({quoted}::double),"
                        f" stddev_samp({quoted}::double) from {relation}"
                    ).fetchone()
                    assert float(profile["min_value"]) == float(low), column
                    assert float(profile["max_value"]) == float(high), column
                    assert math.isclose(profile["mean_value"], mean, rel_tol=1e-6), column
                    if spread is not None:
                        assert math.isclose(
                            profile["stddev_value"], spread, rel_tol=1e-5, abs_tol=1e-9
                        ), column
                if profile["type_family"] == "text":
                    padded = con.execute(
                        f"select count(*) from {relation} where {quoted} <> trim({quoted})"
                    ).fetchone()[0]
                    assert profile["padded_count"] == padded, column


def test_a_build_profiles_only_the_days_it_changed(daily: dict) -> None:
    with _connect(daily) as con:
        runs = con.execute(
            "select invocation_id, parts_profiled, is_full from observability.profile_runs"
            " where relation_name like '%\"trusted_flights\"' order by started_at"
        ).fetchall()
        days = con.execute(
            "select count(distinct flight_date) from trusted.trusted_flights"
        ).fetchone()
    assert len(runs) == DAYS
    first, *later = runs
    assert first[2] and first[1] >= 1
    # the later builds read the days they changed, never the whole history
    assert all(not is_full and parts < days[0] for _, parts, is_full in later)
    # views are cut as what they read: a staging view by landed file (a day's one flights
    # file), the ML split by the days of the features it filters
    with _connect(daily) as con:
        for view, kind, later_parts in [
            ("stg_flights__flights", "file", [1] * (DAYS - 1)),
            ("ml_delay_train", "day", [parts for _, parts, _ in later]),
        ]:
            cuts = con.execute(
                "select part_kind, parts_profiled, is_full from observability.profile_runs"
                " where relation_name like ? order by started_at",
                [f'%"{view}"'],
            ).fetchall()
            assert [cut[0] for cut in cuts] == [kind] * DAYS, view
            assert cuts[0][2] and not any(is_full for _, _, is_full in cuts[1:]), view
            assert [parts for _, parts, _ in cuts[1:]] == later_parts, view


def test_a_day_at_a_time_gives_the_profile_of_a_full_recompute(daily: dict) -> None:
    """The profile assembled after the daily builds equals ``dataops profile --full``'s."""
    names = [
        "trusted_flights",
        "fct_flights",
        "ml_delay_features",
        "ldg_flights__flights",
        "stg_flights__flights",
        "ml_delay_train",
    ]
    with _connect(daily) as con:
        before = {name: _latest(con, name) for name in names}
    outcome = profiles.profile(daily["project"], "ci", full=True, artifacts_dir=daily["base"] / "p")
    assert outcome.full and outcome.relations > 0
    with _connect(daily) as con:
        after = {name: _latest(con, name) for name in names}
        for name in names:
            assert after[name] and set(after[name]) == set(before[name]), name
            for column, recomputed in after[name].items():
                if column.startswith("_"):
                    continue  # lineage columns: when this run processed the rows
                kept = before[name][column]
                assert recomputed["invocation_id"] != kept["invocation_id"]
                for field in (*EXACT, "quantiles", "distinct_count", "top_values"):
                    assert recomputed[field] == kept[field], (name, column, field)
                if kept["mean_value"] is not None:
                    assert math.isclose(recomputed["mean_value"], kept["mean_value"]), column


def test_assembled_quantiles_stay_within_their_stated_approximation(daily: dict) -> None:
    """A quantile pooled from day parts lies within 10 points of rank of the exact one."""
    with _connect(daily) as con:
        checked = 0
        for column, profile in _latest(con, "trusted_flights").items():
            if profile["type_family"] != "number" or not profile["is_approximate"]:
                continue
            quoted = f'"{column}"'
            for level, value in zip(
                (0.05, 0.25, 0.5, 0.75, 0.95), profile["quantiles"], strict=True
            ):
                below, at_most = con.execute(
                    f"select avg(case when {quoted} < ? then 1 else 0 end),"
                    f" avg(case when {quoted} <= ? then 1 else 0 end)"
                    f" from trusted.trusted_flights where {quoted} is not null",
                    [float(value), float(value)],
                ).fetchone()
                assert below - 0.1 <= level <= at_most + 0.1, (column, level, value)
                checked += 1
    assert checked >= 20


def test_hygiene_finds_the_known_defects_of_the_real_data(daily: dict) -> None:
    with _connect(daily) as con:
        findings = hygiene.latest_findings(con)
    found = {
        (f.relation_name.split(".")[-1].strip('"'), f.column_name, f.rule_id): f for f in findings
    }
    wind = found[("stg_weather__observations", "wind_speed_mph", "far_outside_spread")]
    assert "1048.36" in wind.evidence
    assert ("stg_planes__planes", "manufactured_year", "missing_values") in found
    # destinations missing from the airports list: the flights' destination time zone
    assert ("trusted_flights", "destination_time_zone", "missing_values") in found
    # the quarantine keeps the wind reading out of trusted: no finding there
    assert ("trusted_weather_observations", "wind_speed_mph", "far_outside_spread") not in found


def test_hygiene_finds_the_day_that_left_the_columns_history(daily: dict) -> None:
    """The build that received 12 February's weather file finds its 1,048 mph reading beyond
    everything the column held after 11 February; the first build has no history to leave."""
    with _connect(daily) as con:
        builds = [
            row[0]
            for row in con.execute(
                "select invocation_id from observability.profile_runs"
                " group by invocation_id order by min(started_at)"
            ).fetchall()
        ][:DAYS]  # the daily builds, then the other tests' profile runs
        found = con.execute(
            "select invocation_id, split_part(unique_id, '.', -1), column_name, evidence"
            " from observability.profile_findings where rule_id = 'outside_history'"
        ).fetchall()
        (before,) = con.execute(
            "select max_value from observability.column_profiles where invocation_id = ?"
            " and unique_id like '%.stg_weather__observations'"
            " and column_name = 'wind_speed_mph'",
            [builds[0]],
        ).fetchone()
    assert len(builds) == DAYS
    by_build = {
        build: {(name, column): ev for b, name, column, ev in found if b == build}
        for build in builds
    }
    assert by_build[builds[0]] == {}
    wind = by_build[builds[1]][("stg_weather__observations", "wind_speed_mph")]
    assert "weather_2013-02-12" in wind and "1048.36" in wind and str(float(before)) in wind
    assert all(
        ("trusted_weather_observations", "wind_speed_mph") not in findings
        for findings in by_build.values()
    )
    # the next day's weather is within what the column held: not found again
    assert ("stg_weather__observations", "wind_speed_mph") not in by_build[builds[2]]


def test_cleaning_shows_what_each_zone_changed_column_by_column(daily: dict) -> None:
    with _connect(daily) as con:
        compared = {entry["staging"]: entry for entry in hygiene.cleaning(con)}
        quarantined = dict(
            con.execute(
                "select rule_id, count(*) from quarantine.quarantine_weather_observations"
                " group by rule_id"
            ).fetchall()
        )
    weather = compared["stg_weather__observations"]
    assert (weather["trusted"], weather["quarantine"]) == (
        "trusted_weather_observations",
        "quarantine_weather_observations",
    )
    assert weather["rules"] == quarantined
    assert weather["rules"]["weather_implausible_wind_speed"] >= 1
    wind = next(c for c in weather["columns"] if c["column"] == "wind_speed_mph")
    assert float(wind["staging"]["max"]) > 1000
    assert float(wind["trusted"]["max"]) < 100
    # every staged row is trusted or quarantined
    assert wind["staging"]["rows"] == wind["trusted"]["rows"] + wind["quarantine"]["rows"]
    assert set(compared) == {
        "stg_airlines__airlines",
        "stg_airports__airports",
        "stg_flights__flights",
        "stg_planes__planes",
        "stg_weather__observations",
    }


def test_hygiene_finds_nothing_on_a_clean_fixture(daily: dict) -> None:
    """Trusted weather rows with every value present, cut from the real days: no finding."""
    project = daily["project"]
    with duckdb.connect(str(daily["warehouse"])) as con:
        con.execute("create schema if not exists fixtures")
        con.execute(
            """
            create or replace table fixtures.clean_weather as
            select airport_id, temperature_fahrenheit, dew_point_fahrenheit,
                relative_humidity_percent, observed_at
            from trusted.trusted_weather_observations
            where temperature_fahrenheit is not null and dew_point_fahrenheit is not null
                and relative_humidity_percent is not null
            """
        )
    outcome = profiles.profile(
        project, "ci", relations=("fixtures.clean_weather",), artifacts_dir=daily["base"] / "p"
    )
    assert outcome.relations == 1 and outcome.columns == 5
    assert outcome.parts == 1  # the table, whole (the assembly reads no relation)
    assert outcome.findings == {}


def test_the_profiles_page_renders_in_chromium(daily: dict, browser, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    report.generate(daily["warehouse"], None, output)
    browser.page.goto(output.as_uri() + "#profiles")
    page = browser.page
    page.wait_for_selector("#profiles-now tr")
    page.select_option("#profiles-relation", "trusted_flights")
    page.select_option("#profiles-column", "departure_delay_minutes")
    assert page.locator("#profiles-now").inner_text().count("\n") >= 8
    zones = page.locator("#profiles-zones tbody tr").all_inner_texts()
    assert {"trusted", "marts"} <= {row.split("\t")[0] for row in zones}
    assert page.locator("#profiles-distribution .main-svg").count() > 0
    assert "1048.36" in page.locator("#profiles-findings").inner_text()
    assert page.locator("#profiles-costs tbody tr").count() == DAYS
    browser.shot("report-profiles")
    assert browser.external == [] and browser.errors == []


def test_profile_without_a_warehouse_says_what_to_do(
    project_env: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataops.cli import main

    assert main(["profile", "--target", "ci"]) == 1
    error = capsys.readouterr().err
    assert "no warehouse at" in error and "dataops build --target ci" in error
