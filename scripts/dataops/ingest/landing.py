"""Landing and rejecting one inbox file: the file operations of ``dataops ingest``.

A landed copy is complete and read-only before anything logs it (``land``); a re-sent file
restores a landed copy that is missing or changed (``restore``); a rejected entry is moved,
never deleted or followed, to ``landing/_rejected/<source>/`` with a ``.reason.txt`` saying
what to do (``rejected_target``, ``write_reason``, ``move_aside``). The ingest lock of the
data folder makes every step here safe against a second ingest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from datetime import datetime
from pathlib import Path

from dataops.core.files import copy_atomic, sha256_of, write_atomic
from dataops.core.project import Project
from dataops.ingest import inbox as inbox_module
from dataops.ingest.file_checks import excerpt
from dataops.ingest.inbox import Entry

__all__ = [
    "ChangedWhileRead",
    "land",
    "move_aside",
    "not_a_file",
    "rejected_target",
    "remove_stale_temp_files",
    "restore",
    "write_reason",
]

log = logging.getLogger(__name__)


class ChangedWhileRead(Exception):
    """The inbox file changed while ingest read it: it is put back for the next run."""


def remove_stale_temp_files(folder: Path) -> None:
    """Remove temporary files an interrupted copy left; the ingest lock makes this safe."""
    if not folder.is_dir():
        return
    for temp in folder.glob(".*.tmp"):
        log.info("removing %s, left by an interrupted ingest", temp)
        temp.unlink(missing_ok=True)


def land(path: Path, target: Path, sha: str) -> bool:
    """Put the bytes of ``path`` at ``target``, complete and read-only; True if copied now."""
    if target.exists() and sha256_of(target) == sha:
        # an interrupted run's copy, or the same bytes landed for another target: ingest
        # counts them and says so once
        log.debug("%s is already complete: logging it", target)
        target.chmod(0o444)
        return False
    copy_atomic(path, target)
    if sha256_of(target) != sha:
        target.unlink(missing_ok=True)
        raise ChangedWhileRead
    target.chmod(0o444)
    return True


def restore(path: Path, landed: Path, sha: str) -> str | None:
    """Put back a landed copy that is missing or changed from a re-sent file of the same bytes.

    Returns what was wrong with the copy (``missing``, ``changed``), or None when it was intact.
    """
    if landed.exists() and sha256_of(landed) == sha:
        return None
    problem = "changed" if landed.exists() else "missing"
    land(path, landed, sha)
    log.warning("%s was %s: restored from the re-sent file", landed, problem)
    return problem


def rejected_target(project: Project, entry: Entry, at: datetime) -> Path:
    folder = project.rejected_dir / entry.source
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}__{entry.name}"
    attempt = 0
    while os.path.lexists(target) or target.with_name(target.name + ".reason.txt").exists():
        attempt += 1
        target = folder / f"{stamp}-{attempt}__{entry.name}"
    return target


def write_reason(project: Project, entry: Entry, target: Path, reason: str, at: datetime) -> None:
    write_atomic(
        target.with_name(target.name + ".reason.txt"),
        (
            f"file: {entry.name}\n"
            f"source: {entry.source}\n"
            f"received at: {at.isoformat()} UTC\n"
            f"reason: {reason}\n"
            f"what to do: fix the file and drop it into {project.inbox_dir / entry.source} "
            "again (a regular file, UTF-8 name), then run `dataops ingest`\n"
        ).encode(),
    )


def move_aside(entry: Entry, target: Path) -> None:
    """Move a claimed entry to its rejected place; a link or pipe is renamed, never opened."""
    if entry.kind == inbox_module.FILE:
        shutil.move(entry.path, target)
    else:
        os.rename(entry.path, target)
    with contextlib.suppress(OSError):
        entry.path.parent.rmdir()


def not_a_file(entry: Entry) -> str:
    return (
        f"{excerpt(entry.name)} is a {entry.kind}, not a regular file: ingest takes regular "
        "files inside the inbox only and never follows a link (put the file itself there)"
    )
