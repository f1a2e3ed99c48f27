"""What a publish takes into prod: the inbox, and the files other targets landed already.

The landing folder is shared by every target of a data folder; each target keeps its own
ingestion log (``landing.ingested_files`` in its warehouse, a Parquet copy under
``landing/_ingestion/<target>/``). A file that ``dataops ingest`` or ``dataops demo`` landed
for ``dev`` is in the landing, but not in prod's log: the inbox no longer holds it, so a
publish that read the inbox only would never see it. ``adopt_landed`` copies the log rows of
those files (landed by another target, absent from the candidate's log, their landed copy
present) into the candidate's log, so that the landing models load them; the build re-hashes
each one first (``verify_inputs``).

``carry_over_log`` takes the log rows of a candidate left by a publish that did not go
through into the next one (their files left the inbox when that candidate ingested them).
``nothing_to_publish`` refuses a first publish that has no landed file at all, and
``advice`` is the command that works from the state of the folders, which every message
that sends a user to ``dataops publish`` gives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.core.zones import has_relation
from dataops.ingest.file_checks import sql_string
from dataops.ingest.ingestion_log import LANDED, LOG_TABLE, open_log

log = logging.getLogger(__name__)

CANDIDATE = "candidate"


@dataclass(frozen=True)
class Adopted:
    """Files another target landed, taken into the candidate's log."""

    files: int
    targets: tuple[str, ...]

    @classmethod
    def none(cls) -> Adopted:
        return cls(0, ())

    @property
    def line(self) -> str:
        return (
            f"{self.files} files already landed by target {', '.join(self.targets)} (absent from"
            " prod's ingestion log) taken into this publish"
        )


def other_logs(project: Project, exclude: str = CANDIDATE) -> dict[str, Path]:
    """The Parquet copies of the ingestion logs of the targets other than ``exclude``."""
    folder = project.landing_dir / "_ingestion"
    if not folder.is_dir():
        return {}
    return {
        path.parent.name: path
        for path in sorted(folder.glob("*/ingested_files.parquet"))
        if path.parent.name != exclude
    }


def _missing_rows(logs: dict[str, Path], table: str) -> str:
    """SQL: the earliest landed row of each (source, sha256) of ``logs`` absent from ``table``."""
    union = " union all ".join(
        f"select {sql_string(name)} as target, * replace"
        f" (cast(received_at as timestamp) as received_at)"
        f" from read_parquet({sql_string(str(path))})"
        for name, path in logs.items()
    )
    return f"""
        with logged as ({union}),
        landed as (
            select * from logged
            where status = '{LANDED}'
            qualify row_number() over (
                partition by source, sha256 order by received_at, file_id
            ) = 1
        )
        select * from landed
        where (source, sha256) not in (
            select (source, sha256) from {table} where status = '{LANDED}'
        )
    """


def adopt_landed(project: Project, warehouse: Path) -> Adopted:
    """Log in ``warehouse`` the files other targets landed that its log lacks; how many."""
    logs = other_logs(project)
    if not logs:
        return Adopted(0, ())
    with open_log(warehouse) as con:
        con.execute("set TimeZone = 'UTC'")
        try:
            rows = con.execute(_missing_rows(logs, LOG_TABLE)).fetchall()
            columns = [column[0] for column in con.description or ()]
        except duckdb.Error as error:
            log.warning("the ingestion logs of the other targets cannot be read: %s", error)
            return Adopted(0, ())
        present = [
            row for row in rows if (project.data_dir / row[columns.index("landed_path")]).is_file()
        ]
        if not present:
            return Adopted(0, ())
        fields = [name for name in columns if name != "target"]
        con.executemany(
            f"insert into {LOG_TABLE} ({', '.join(fields)}) values"
            f" ({', '.join('?' for _ in fields)})",
            [[row[columns.index(name)] for name in fields] for row in present],
        )
        targets = tuple(sorted({row[columns.index("target")] for row in present}))
    adopted = Adopted(len(present), targets)
    log.info("%s", adopted.line)
    return adopted


def landed_count(warehouse: Path) -> int:
    """How many landed files the candidate's log lists."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(
            con.execute(f"select count(*) from {LOG_TABLE} where status = ?", [LANDED]).fetchall()[
                0
            ][0]
        )


def last_received(prod: Path) -> datetime | None:
    """When prod's newest logged file was received (none: no prod, or an empty log).

    Files a day's publish brings (ingested now, or carried over from a publish that did
    not go through since) were all received later: their rows are the day's landing rows.
    """
    if not prod.exists():
        return None
    with duckdb.connect(str(prod), read_only=True) as con:
        if not has_relation(con, LOG_TABLE):
            return None
        return con.execute(f"select max(received_at) from {LOG_TABLE}").fetchall()[0][0]


def inbox_files(project: Project) -> int:
    """How many files wait in the inbox (hidden files and claims aside)."""
    if not project.inbox_dir.is_dir():
        return 0
    return sum(
        1
        for path in project.inbox_dir.glob("*/*")
        if path.is_file() and not path.name.startswith(".")
    )


def advice(project: Project) -> str:
    """The command that puts a real prod in place, from the state of the folders."""
    if inbox_files(project) or other_logs(project):
        return "run dataops publish (it takes the inbox and the files other targets landed)"
    return (
        f"drop the sources' files into {project.inbox_dir}/<source>/ (or run dataops feed),"
        " then run dataops publish"
    )


def nothing_to_publish(project: Project, prod: Path) -> DataOpsError:
    """The refusal of a first publish that found no landed file anywhere."""
    return DataOpsError(
        f"nothing to publish: no prod yet ({prod}), the inbox {project.inbox_dir} is empty and"
        " no target's ingestion log lists a landed file; prod not created",
        f"drop the sources' files into {project.inbox_dir}/<source>/ (or run dataops feed),"
        " then run dataops publish",
    )


def carry_over_log(old_candidate: Path, candidate: Path) -> int:
    """Copy the log rows of a candidate that was never published into the new one."""
    with open_log(candidate) as con:
        try:
            con.execute("attach ? as unpublished (read_only)", [str(old_candidate)])
        except duckdb.Error as error:
            log.warning(
                "the candidate left by an interrupted publish (%s) cannot be read (%s);"
                " files it ingested are in the landing folder: drop them into the inbox again",
                old_candidate,
                error,
            )
            return 0
        try:
            if not has_relation(con, LOG_TABLE, "unpublished"):
                return 0
            missing = f"""
                from unpublished.{LOG_TABLE} as old
                where old.file_id not in (select file_id from {LOG_TABLE})
            """
            count = con.execute(f"select count(*) {missing}").fetchall()[0][0]
            con.execute(f"insert into {LOG_TABLE} select old.* {missing}")
            return int(count)
        finally:
            con.execute("detach unpublished")
