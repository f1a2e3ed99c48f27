"""The Activity page's weekly figures hold for any history of publishes, files and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dataops.observability import activity
from dataops.observability.report_activity import parse_time, week_of, weekly

EPOCH = datetime(2013, 1, 1, tzinfo=UTC)
OUTCOMES = st.sampled_from([activity.OK, activity.REFUSED, activity.FAILED, activity.RUNNING])


@st.composite
def publishes(draw: st.DrawFn) -> list[dict]:
    runs = []
    for offset, minutes, outcome, commit in draw(
        st.lists(
            st.tuples(
                st.integers(0, 60 * 24 * 60),
                st.integers(1, 300),
                OUTCOMES,
                st.sampled_from(["a" * 40, "b" * 40, activity.UNKNOWN]),
            ),
            max_size=25,
        )
    ):
        started = EPOCH + timedelta(minutes=offset)
        ended = started + timedelta(minutes=minutes)
        run = {
            "run_id": f"{offset}-{minutes}-{len(runs)}",
            "command": "publish",
            "target": "prod",
            "started_at": started.isoformat(),
            "outcome": outcome,
            "commit": commit,
            "commit_at": None if commit == activity.UNKNOWN else EPOCH.isoformat(),
        }
        if outcome != activity.RUNNING:
            run["ended_at"] = ended.isoformat()
        runs.append(run)
    return runs


arrivals = st.lists(
    st.integers(-600, 60 * 24 * 61).map(lambda minutes: EPOCH + timedelta(minutes=minutes)),
    max_size=40,
)


@given(publishes(), arrivals)
def test_every_finished_publish_and_carried_file_is_counted_once(
    runs: list[dict], received: list[datetime]
) -> None:
    weeks = weekly(runs, received)
    finished = [run for run in runs if run["outcome"] != activity.RUNNING]
    assert sum(week["publishes"] for week in weeks) == len(finished)
    assert sum(week["refused"] for week in weeks) == sum(
        run["outcome"] != activity.OK for run in finished
    )
    for week in weeks:
        if week["publishes"]:
            assert week["refused_share"] == round(week["refused"] / week["publishes"], 3)
        for name in ("arrival_to_prod", "commit_to_publish"):
            hours = week[f"{name}_hours"]
            assert (hours is None) == (week[f"{name}_cases"] == 0)
            assert hours is None or hours >= 0
    ends = [parse_time(run["ended_at"]) for run in finished if run["outcome"] == activity.OK]
    starts = [parse_time(run["started_at"]) for run in finished]
    carried = [
        moment
        for moment in received
        if starts and moment >= min(starts) and ends and moment <= max(ends)
    ]
    assert sum(week["arrival_to_prod_cases"] for week in weeks) == len(carried)
    commits = {
        run["commit"]
        for run in finished
        if run["outcome"] == activity.OK and run["commit"] != activity.UNKNOWN
    }
    assert sum(week["commit_to_publish_cases"] for week in weeks) == len(commits)
    assert [week["week"] for week in weeks] == sorted({w["week"] for w in weeks}, reverse=True)


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_week_starts_on_its_monday(moment: datetime) -> None:
    monday = datetime.fromisoformat(week_of(moment)).date()
    assert monday.weekday() == 0
    assert 0 <= (moment.date() - monday).days < 7
    assert parse_time(moment.replace(tzinfo=None)) == moment
