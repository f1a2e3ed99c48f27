"""Known gaps of the real data: flagged periods the project has explained.

``seeds/known_data_gaps.csv`` lists them, one row per tested model, anomaly test
kind, column, metric and day, with the reason (hours missing from the real weather
feed...). ``dbt build`` loads it into ``seeds.known_data_gaps``. The anomaly tests
still flag and record these periods (``observability.test_results``); the alert
pipeline does not raise them and the report does not count them, it shows the reason.

A flag is matched by the name of the tested model, the test's short name, its column
and metric and the day of its period: not by the test's unique id, so a renamed or
re-hashed test keeps its known gaps.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import duckdb

from dataops.core.zones import has_relation

log = logging.getLogger(__name__)

SCHEMA, TABLE = "seeds", "known_data_gaps"

# (model name, test short name, column or "", metric, day as YYYY-MM-DD)
GapKey = tuple[str, str, str, str, str]


def gap_key(
    model_unique_id: str | None,
    test_short_name: str | None,
    column_name: str | None,
    metric: object,
    period: object,
) -> GapKey:
    """The identity of a flagged period, as the seed names it.

    The model is its name (the last part of ``model.<project>.<name>``), the column
    lower case or empty, the period its day (a timestamp's date part).
    """
    model = (model_unique_id or "").rsplit(".", 1)[-1]
    day = period.isoformat() if isinstance(period, date) else str(period or "")
    return (model, test_short_name or "", (column_name or "").lower(), str(metric), day[:10])


def load(con: duckdb.DuckDBPyConnection) -> dict[GapKey, str]:
    """The reason of each known gap; empty when the warehouse has no seed table."""
    if not has_relation(con, f"{SCHEMA}.{TABLE}"):
        return {}
    rows = con.execute(
        f"""
        select model_name, test_short_name, column_name, metric, period_date, reason
        from {SCHEMA}.{TABLE}
        """
    ).fetchall()
    return {
        gap_key(model, test, column, metric, period): reason
        for model, test, column, metric, period, reason in rows
    }


def reason(gaps: dict[GapKey, str], row: dict, item: dict) -> str | None:
    """The reason a flagged ``item`` of a test's ``row`` is known, or None if it is not."""
    key = gap_key(
        row.get("model_unique_id"),
        row.get("test_short_name"),
        row.get("column_name"),
        item.get("metric"),
        item.get("period"),
    )
    return gaps.get(key)


def collect(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """For the report: per test whose latest run flagged a known gap, its known periods.

    ``{unique_id: {"periods": {"<metric> <period>": reason}, "open": n}}``, the period
    as the test recorded it, ``open`` the flagged periods that are not known gaps: a
    test with none open is not counted among the volume alerts and anomalies flagged.
    """
    gaps = load(con)
    if not gaps:
        return {}
    cursor = con.execute(
        """
        select results.unique_id, model_unique_id, test_short_name, column_name, anomaly_details
        from observability.test_results as results
        inner join observability.invocations as runs using (invocation_id)
        qualify row_number() over (
            partition by results.unique_id order by runs.started_at desc
        ) = 1
        """
    )
    names = [column[0] for column in cursor.description]
    known: dict[str, dict] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        flagged = [
            item for item in json.loads(row["anomaly_details"] or "[]") if item.get("is_anomalous")
        ]
        periods = {
            f"{item.get('metric')} {item.get('period')}": why
            for item in flagged
            if (why := reason(gaps, row, item))
        }
        if periods:
            known[row["unique_id"]] = {"periods": periods, "open": len(flagged) - len(periods)}
    log.debug("known gaps flagged in the latest runs: %s", known)
    return known
