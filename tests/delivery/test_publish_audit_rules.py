"""The audit of a publish's change, for any removal from a public mart of real flights.

Prod holds a mart of the flights of the fed days (``fed_inbox``: 2013-01-01..03, real
rows); the candidate holds the same mart with rows removed (whole days, single rows, a
share of them, chosen by Hypothesis) or rows added. ``publish_audit.compare`` must count
exactly the rows and days lost, and ``shrinking`` must refuse exactly the changes beyond
the bounds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from dataops.delivery.publish_audit import Bounds, Mart, compare, shrinking

MART = Mart("mart_flights", "marts", "mart_flights", "flight_date")
SELECT_FLIGHTS = """
    select row_number() over () as row_id, make_date(year, month, day) as flight_date,
        carrier, flight, origin, dest
    from read_csv(?, header = true)
"""


def flights_of(fed_inbox: Path) -> Path:
    return fed_inbox / "flights" / "*.csv"


def write_mart(path: Path, fed_inbox: Path, removed: str, added: int = 0) -> None:
    """The mart of the fed flights, minus the rows matching ``removed``, plus ``added`` copies."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.mart_flights as select * from ({SELECT_FLIGHTS})"
            f" where not ({removed})",
            [str(flights_of(fed_inbox))],
        )
        if added:
            con.execute(
                "insert into marts.mart_flights select * from marts.mart_flights limit ?", [added]
            )


def fed_days(fed_inbox: Path) -> list:
    with duckdb.connect() as con:
        return [
            row[0]
            for row in con.execute(
                f"select distinct flight_date from ({SELECT_FLIGHTS}) order by 1",
                [str(flights_of(fed_inbox))],
            ).fetchall()
        ]


removals = st.fixed_dictionaries(
    {
        "days": st.sets(st.integers(0, 2), max_size=3),
        "modulo": st.integers(1, 5000),
        "added": st.integers(0, 20),
        "share": st.floats(0, 1),
        "max_days": st.integers(0, 3),
    }
)


@given(removal=removals)
def test_compare_counts_exactly_the_rows_and_days_removed(fed_inbox: Path, removal: dict) -> None:
    days = fed_days(fed_inbox)
    dropped = [days[index] for index in removal["days"]]
    # whole days, and every row whose id is a multiple of the modulo (1: every row)
    removed = " or ".join(
        [f"flight_date = date '{day}'" for day in dropped] + [f"row_id % {removal['modulo']} = 0"]
    )
    with tempfile.TemporaryDirectory() as folder:
        prod, candidate = Path(folder) / "prod.duckdb", Path(folder) / "candidate.duckdb"
        write_mart(prod, fed_inbox, "false")
        write_mart(candidate, fed_inbox, removed, removal["added"])
        with duckdb.connect(str(prod), read_only=True) as con:
            prod_rows = con.execute("select count(*) from marts.mart_flights").fetchall()[0][0]
        with duckdb.connect(str(candidate), read_only=True) as con:
            candidate_rows, kept_days = con.execute(
                "select count(*), count(distinct flight_date) from marts.mart_flights"
            ).fetchall()[0]
        (change,) = compare(prod, candidate, [MART])

    assert change.prod_rows == prod_rows
    assert change.candidate_rows == candidate_rows
    assert change.rows_lost == max(prod_rows - candidate_rows, 0)
    assert change.days_lost == len(days) - kept_days
    bounds = Bounds(removal["share"], removal["max_days"])
    beyond = change.rows_lost / prod_rows > bounds.max_row_loss_share or (
        change.days_lost > bounds.max_days_lost
    )
    assert shrinking([change], bounds) == ([change] if beyond else [])


def test_a_public_mart_the_candidate_dropped_loses_everything(fed_inbox: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        prod, candidate = Path(folder) / "prod.duckdb", Path(folder) / "candidate.duckdb"
        write_mart(prod, fed_inbox, "false")
        duckdb.connect(str(candidate)).close()
        (change,) = compare(prod, candidate, [MART])
    assert change.candidate_rows == 0
    assert change.days_lost == len(fed_days(fed_inbox))
    assert shrinking([change], Bounds(0.99, 100)) == [change]
