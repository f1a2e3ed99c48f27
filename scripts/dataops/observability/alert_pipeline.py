"""Problems of the pipeline's own steps: files ingest rejected, a publish that did not go through.

A rejected file stays in the ingestion log: it is sent once (the check keeps the
time of the newest one sent). A publish that did not go through leaves its
candidate behind (``dataops.delivery.publish``: a candidate folder left always means
that): it is open until a publish swaps a candidate into prod and removes it.
"""

from __future__ import annotations

import os
from datetime import datetime

from dataops.core.project import Project
from dataops.core.zones import relations_in
from dataops.delivery.publish import PROD, Places
from dataops.ingest.ingestion_log import LOG_TABLE, REJECTED
from dataops.observability.alert_problems import (
    Problem,
    connect,
    failing_rows,
    failing_rows_table,
    records,
    rows_fact,
    when,
)


def rejected_files(
    con, project: Project, since: datetime | None
) -> tuple[list[Problem], datetime | None]:
    """Files ingest rejected after ``since``, and the time of the newest one."""
    if "ingested_files" not in relations_in(con, "landing"):
        return [], since
    rows = records(
        con,
        f"select * from {LOG_TABLE} where status = ?"
        " and received_at > coalesce(?, timestamp '1900-01-01') order by received_at, file_id",
        [REJECTED, since],
    )
    problems = []
    for row in rows:
        name = f"{row['source']}/{row['original_name']}"
        facts = (
            ("reason", str(row["reason"])),
            ("kept at", str(project.data_dir / row["landed_path"])),
            ("received at", when(row["received_at"])),
            ("what to do", f"fix it and drop it into {project.inbox_dir / row['source']} again"),
        )
        problems.append(
            Problem(
                f"rejected:{row['file_id']}",
                "file_rejected",
                f"file {name}",
                f"file {name} rejected by ingest",
                "error",
                facts,
                group="rejected",
                once=True,
            )
        )
    newest = max((row["received_at"] for row in rows), default=since)
    return problems, newest


def publish_running(places: Places) -> bool:
    """Whether a publish holds its lock now: the lock file names a live process."""
    try:
        holder = places.lock.read_text().strip()
    except OSError:
        return False
    return holder.isdigit() and os.path.exists(f"/proc/{holder}")


def _candidate_failures(places: Places) -> tuple[datetime | None, list[tuple[str, str]], str]:
    """The latest build recorded in the candidate: when, its failures as facts, their ids."""
    con = connect(places.candidate)
    try:
        if "invocations" not in relations_in(con, "observability"):
            return None, [], ""
        latest = con.execute(
            "select invocation_id, started_at from observability.invocations"
            " where command = 'build' order by started_at desc limit 1"
        ).fetchall()
        if not latest:
            return None, [], ""
        failing = records(
            con,
            "select test_name, unique_id, status, failures from observability.test_results"
            " where invocation_id = ? and (status = 'error' or (status = 'fail'"
            " and severity = 'error')) order by unique_id",
            [latest[0][0]],
        )
        failing += records(
            con,
            "select name as test_name, unique_id, status, null as failures"
            " from observability.node_runs where invocation_id = ? and status = 'error'"
            " and resource_type in ('model', 'snapshot', 'seed') order by unique_id",
            [latest[0][0]],
        )
        facts = []
        for row in failing:
            rows = "" if row["failures"] is None else f", {failing_rows(row['failures'])}"
            facts.append(("failed", f"{row['test_name']} ({row['status']}{rows})"))
            if table := failing_rows_table(con, row["test_name"]):
                facts.append(rows_fact(table, places.candidate))
        return latest[0][1], facts, ",".join(row["unique_id"] for row in failing)
    finally:
        con.close()


def publish_problem(project: Project) -> Problem | None:
    """The publish that did not go through, from the candidate it left (None: nothing left)."""
    places = Places.of(project)
    if not places.candidate.parent.exists():
        return None
    started, failures, failing_ids = (
        _candidate_failures(places) if places.candidate.exists() else (None, [], "")
    )
    if failures:
        count = len([fact for fact in failures if fact[0] == "failed"])
        title = f"publish blocked: {count} nodes failed in the candidate, prod unchanged"
    elif started:
        title = "publish did not go through: its build failed, prod unchanged"
    else:
        title = "publish did not go through: it stopped before its build, prod unchanged"
    facts = (
        ("prod", f"{places.prod} (unchanged)"),
        ("candidate", f"{places.candidate} (kept for inspection)"),
        ("build", when(started)),
        *failures,
        (
            "what to do",
            "fix what failed, then run dataops publish (the files it ingested are carried over)",
        ),
    )
    return Problem(
        f"publish:{PROD}",
        "publish_failed",
        f"publish into {PROD}",
        title,
        "error",
        facts,
        fingerprint=failing_ids,
    )
