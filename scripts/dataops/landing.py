"""Landing and rejecting one inbox file: the file operations of ``dataops ingest``.

A landed copy is complete and read-only before anything logs it (``land``); a re-sent file
restores a landed copy that is missing or changed (``restore``); a rejected entry is moved,
never deleted or followed, to ``landing/_rejected/<source>/`` with a ``.reason.txt`` saying
what to do (``rejected_target``, ``write_reason``, ``move_aside``). The ingest lock of the
data folder makes every step here safe against a second ingest.

A folder that cannot be written (read-only, no permission, no space) is said as such, with
the folder and what to do (``not_writable``), by ingest, feed and build alike.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from datetime import datetime
from pathlib import Path

from dataops import inbox as inbox_module
from dataops.errors import DataOpsError
from dataops.file_checks import excerpt
from dataops.files import copy_atomic, sha256_of, write_atomic
from dataops.inbox import Entry
from dataops.project import Project

__all__ = [
    "WRITE_ERRORS",
    "ChangedWhileRead",
    "land",
    "move_aside",
    "not_a_file",
    "not_writable",
    "rejected_target",
    "remove_stale_temp_files",
    "restore",
    "write_errno",
    "write_reason",
]

log = logging.getLogger(__name__)


# The errors of writing into a folder rather than of one file, and what to do about each.
WRITE_ERRORS = {
    errno.EROFS: "its file system is mounted read-only: remount it read-write",
    errno.EACCES: "this user may not write there: give it write permission",
    errno.EPERM: "this user may not write there: give it write permission",
    errno.ENOSPC: "its disk is full: free space on it",
    errno.EDQUOT: "the disk quota is used up: free space",
}
# How DuckDB and dbt say them (their errors carry the text, not the number).
_MESSAGES = {
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
}


def write_errno(error: BaseException | str) -> int | None:
    """The errno of ``error`` when it is one of WRITE_ERRORS (also read from its message)."""
    number = getattr(error, "errno", None)
    if number in WRITE_ERRORS:
        return number
    text = str(error).lower()
    return next((code for message, code in _MESSAGES.items() if message in text), None)


def not_writable(
    error: BaseException, what: str, folder: Path, variable: str, then: str
) -> DataOpsError:
    """What to say when ``folder`` (``what``: "the data folder") cannot be written."""
    number = write_errno(error)
    cause = (getattr(error, "strerror", None) or os.strerror(number)) if number else str(error)
    filename = getattr(error, "filename", None)
    at = f" ({filename})" if filename and Path(filename) != folder else ""
    return DataOpsError(
        f"cannot write {what} {folder}: {cause}{at}",
        f"{WRITE_ERRORS.get(number or 0, 'check the folder')}, or point {variable} at another"
        f" folder, then {then}",
    )


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
        log.info("%s is already complete (interrupted run): logging it", target)
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
