"""The inbox sensor on real days of 2013: one run for what arrived, none for what is still written.

The sensor is evaluated as Dagster's daemon evaluates it, with the cursor of the
evaluation before; the inbox is fed with ``dataops.data.feed``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_sensor_context,
)

from dataops.core.project import Project
from dataops.data.feed import feed
from dataops.data.sources import Feed
from dataops.orchestration.publish_job import publish_job
from dataops.orchestration.sensors import inbox_sensor
from dataops.orchestration.settings import Settings

SETTLE = 0.5


class Sensor:
    """The inbox sensor of a project, evaluated tick after tick with its cursor."""

    def __init__(self, project: Project) -> None:
        settings = Settings(project, "prod")
        self.job = publish_job(settings, {}, (set(), set()))
        self.sensor = inbox_sensor(settings, self.job)
        self.instance = DagsterInstance.ephemeral()
        self.cursor: str | None = None

    def tick(self) -> RunRequest | SkipReason:
        context = build_sensor_context(instance=self.instance, cursor=self.cursor)
        result = self.sensor(context)
        self.cursor = context.cursor
        return result


@pytest.fixture
def sensor(project_env: Project, monkeypatch: pytest.MonkeyPatch) -> Sensor:
    monkeypatch.setenv("DATAOPS_INBOX_SETTLE_SECONDS", str(SETTLE))
    return Sensor(project_env)


def test_a_real_day_dropped_yields_one_run_request_and_nothing_new_none(
    sensor: Sensor, project_env: Project, fed_inbox: Path
) -> None:
    assert isinstance(sensor.tick(), SkipReason)  # no inbox yet: nothing to do
    shutil.copytree(fed_inbox, project_env.inbox_dir)
    request = sensor.tick()
    assert isinstance(request, RunRequest)
    files = sorted(path for path in project_env.inbox_dir.rglob("*") if path.is_file())
    assert request.tags["dataops/new_files"] == str(len(files)) == "9"  # 3 days, 3 registers
    assert sensor.sensor.job_name == "publish"
    # nothing new: no request, however many ticks
    for _ in range(2):
        skipped = sensor.tick()
        assert isinstance(skipped, SkipReason)
        assert "nothing new: 9 files already requested" in skipped.skip_message
    # the files left the inbox (the run ingested them): the cursor forgets them
    shutil.rmtree(project_env.inbox_dir)
    assert isinstance(sensor.tick(), SkipReason)
    assert json.loads(sensor.cursor) == []


def test_the_next_day_yields_one_more_run_request(
    sensor: Sensor, project_env: Project, feeds: dict[str, Feed]
) -> None:
    feed(feeds, project_env.inbox_dir, date(2013, 1, 1), date(2013, 1, 1))
    first = sensor.tick()
    assert isinstance(first, RunRequest)
    before = set(project_env.inbox_dir.rglob("*.*"))
    feed(feeds, project_env.inbox_dir, date(2013, 1, 2), date(2013, 1, 2))
    arrived = set(project_env.inbox_dir.rglob("*.*")) - before
    second = sensor.tick()
    assert isinstance(second, RunRequest)
    # the day's flights and weather (and the registers a feed of one day sends with it)
    assert {path.parent.name for path in arrived} >= {"flights", "weather"}
    assert second.tags["dataops/new_files"] == str(len(arrived))
    assert second.run_key != first.run_key
    assert isinstance(sensor.tick(), SkipReason)


def test_a_file_still_being_written_yields_no_run(
    sensor: Sensor, project_env: Project, fed_inbox: Path
) -> None:
    day = fed_inbox / "flights" / "flights_2013-01-02.csv"
    content = day.read_bytes()
    target = project_env.inbox_dir / "flights" / day.name
    target.parent.mkdir(parents=True)
    with target.open("wb") as writer:  # a source writing straight into the inbox
        writer.write(content[: len(content) // 2])
        writer.flush()
        os.fsync(writer.fileno())
        time.sleep(SETTLE + 0.1)  # older than the settle time: only the open file holds it
        skipped = sensor.tick()
        assert isinstance(skipped, SkipReason)
        assert "1 still being written" in skipped.skip_message
        writer.write(content[len(content) // 2 :])
    # closed, but changed within the settle time: the sensor waits it out, then requests
    request = sensor.tick()
    assert isinstance(request, RunRequest)
    assert request.tags["dataops/new_files"] == "1"
    assert target.read_bytes() == content


def test_a_file_that_keeps_changing_yields_no_run(
    sensor: Sensor, project_env: Project, fed_inbox: Path
) -> None:
    """A writer that reopens the file between writes: each tick sees it change."""
    day = fed_inbox / "weather" / "weather_2013-01-01.jsonl"
    lines = day.read_bytes().splitlines(keepends=True)
    target = project_env.inbox_dir / "weather" / day.name
    target.parent.mkdir(parents=True)
    target.write_bytes(b"".join(lines[:5]))

    def append_later() -> None:
        time.sleep(SETTLE / 2)
        with target.open("ab") as writer:
            writer.write(b"".join(lines[5:10]))

    writer = threading.Thread(target=append_later)
    writer.start()
    skipped = sensor.tick()
    writer.join()
    assert isinstance(skipped, SkipReason)
    assert "1 still being written" in skipped.skip_message


def test_no_second_request_while_the_requested_run_waits_in_the_queue(
    sensor: Sensor, project_env: Project, feeds: dict[str, Feed]
) -> None:
    """A run not started yet has not ingested: it will take the files that arrive meanwhile."""
    feed(feeds, project_env.inbox_dir, date(2013, 1, 1), date(2013, 1, 1))
    request = sensor.tick()
    assert isinstance(request, RunRequest)
    queued = sensor.instance.create_run_for_job(sensor.job)  # created, not started yet
    feed(feeds, project_env.inbox_dir, date(2013, 1, 2), date(2013, 1, 2))
    waiting = sensor.tick()
    assert isinstance(waiting, SkipReason)
    assert f"run {queued.run_id} has not started yet" in waiting.skip_message
    sensor.instance.delete_run(queued.run_id)
    sensor.instance.add_run(
        DagsterRun(
            job_name=sensor.job.name, run_id=str(uuid.uuid4()), status=DagsterRunStatus.STARTED
        )
    )
    assert isinstance(sensor.tick(), RunRequest)  # once it started, the new day gets its run
