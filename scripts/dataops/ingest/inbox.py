"""What waits in the inbox, and when a file in it is ready to be taken.

The writer's protocol (docs/ingest.md): a source writes each
file under a hidden name (starting with ``.``) or outside the inbox, and
renames it into ``inbox/<source>/`` once complete. Ingest also guards the
writers that do not: a file that a process still holds open for writing
(read from ``/proc`` on Linux), or that changed within the settle time, is
left for the next run.

A file being taken is first claimed: renamed into
``inbox/<source>/.ingesting/<file_id>/<name>``. The claim survives a killed
run: the next run finishes what the log says was done with it, or takes it
again (:func:`list_entries` lists claims first).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.ingest.file_checks import excerpt

log = logging.getLogger(__name__)

CLAIMS = ".ingesting"
SETTLE_VARIABLE = "DATAOPS_INBOX_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 2.0
FILE = "file"


@dataclass(frozen=True)
class Entry:
    """One entry of a source's inbox folder (or a claim of an earlier run)."""

    source: str
    path: Path
    # where the entry arrived, which a claim is put back to
    inbox_path: Path
    # the name as logged and printed: the real name, escaped when it is not UTF-8
    name: str
    kind: str
    stat: os.stat_result
    name_problem: str | None = None
    claim_id: str | None = None

    @property
    def shown(self) -> str:
        """The inbox path for a message: control characters and odd bytes escaped."""
        return excerpt(str(self.inbox_path.parent / self.name), 10_000)


@dataclass(frozen=True)
class Waiting:
    """A file left in the inbox for a later run, and why."""

    entry: Entry
    reason: str


def settle_seconds(value: float | None = None) -> float:
    """The settle time: ``value``, else ``DATAOPS_INBOX_SETTLE_SECONDS``, else the default."""
    if value is None:
        text = os.environ.get(SETTLE_VARIABLE)
        if text is None:
            return DEFAULT_SETTLE_SECONDS
        try:
            value = float(text)
        except ValueError:
            value = -1.0
    if not value >= 0:
        raise DataOpsError(
            f"the settle time must be a number of seconds >= 0, not {value!r}",
            f"fix --settle-seconds or {SETTLE_VARIABLE}",
        )
    return value


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def _name(raw: str) -> tuple[str, str | None]:
    """The name to log for ``raw``, and why it cannot be kept as it is, if so."""
    encoded = os.fsencode(raw)
    try:
        encoded.decode("utf-8")
    except UnicodeDecodeError:
        return encoded.decode("utf-8", "backslashreplace"), (
            "the file name is not valid UTF-8 (shown with its odd bytes escaped)"
        )
    return raw, None


def _entry(source: str, path: Path, inbox_path: Path, claim_id: str | None = None) -> Entry:
    status = os.lstat(path)
    name, problem = _name(path.name)
    return Entry(source, path, inbox_path, name, _kind(status.st_mode), status, problem, claim_id)


def _claims(source: str, folder: Path) -> list[Entry]:
    claims = folder / CLAIMS
    found = []
    if not claims.is_dir():
        return found
    for claim in sorted(claims.iterdir(), key=lambda item: item.name):
        inside = sorted(claim.iterdir(), key=lambda item: item.name) if claim.is_dir() else []
        if not inside:
            claim.rmdir() if claim.is_dir() else claim.unlink()
            continue
        for path in inside:
            found.append(_entry(source, path, folder / path.name, claim_id=claim.name))
    return found


def list_entries(inbox: Path, sources: Iterable[str]) -> list[Entry]:
    """Every entry waiting in the inbox, by source: earlier runs' claims first, then by name.

    Hidden entries (a name starting with ``.``) are files still being written:
    they are not listed.
    """
    entries: list[Entry] = []
    names = sorted(sources)
    for source in names:
        folder = inbox / source
        if not folder.is_dir() or folder.is_symlink():
            continue
        entries.extend(_claims(source, folder))
        for path in sorted(folder.iterdir(), key=lambda item: os.fsencode(item.name)):
            if path.name.startswith("."):
                continue
            entries.append(_entry(source, path, path))
    if inbox.is_dir():
        for extra in sorted(inbox.iterdir()):
            if extra.name not in names and not extra.name.startswith("."):
                log.warning(
                    "%s belongs to no declared source: left as it is", excerpt(str(extra), 10_000)
                )
    return entries


def _changed(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_ino, before.st_size, before.st_mtime_ns) != (
        after.st_ino,
        after.st_size,
        after.st_mtime_ns,
    )


def changed_since(path: Path, before: os.stat_result) -> bool:
    """Whether the file at ``path`` is no longer the one ``before`` described."""
    try:
        return _changed(before, os.lstat(path))
    except FileNotFoundError:
        return True


def open_for_writing(proc: Path = Path("/proc")) -> dict[tuple[int, int], int]:
    """Files some process holds open for writing: (device, inode) -> pid.

    Read from ``/proc/<pid>/fd`` and ``fdinfo`` (Linux); elsewhere, or for the
    processes this user may not inspect, nothing is known and the settle time
    alone guards the writers.
    """
    found: dict[tuple[int, int], int] = {}
    if not proc.is_dir():
        return found
    for process in proc.iterdir():
        if not process.name.isdigit():
            continue
        try:
            descriptors = list((process / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                info = (process / "fdinfo" / descriptor.name).read_text()
                flags = next(
                    int(line.split()[1], 8)
                    for line in info.splitlines()
                    if line.startswith("flags:")
                )
                if flags & os.O_ACCMODE == os.O_RDONLY:
                    continue
                target = os.stat(descriptor)
            except (OSError, StopIteration, ValueError, IndexError):
                continue
            if stat.S_ISREG(target.st_mode):
                found[(target.st_dev, target.st_ino)] = int(process.name)
    return found


def ready_files(entries: list[Entry], settle: float) -> tuple[list[Entry], list[Waiting]]:
    """The entries to take now, and the files left for a later run with the reason.

    A regular file is taken once no process holds it open for writing and it
    has not changed for ``settle`` seconds: a file younger than that is looked
    at again once it is that old (one wait for all, at most ``settle``).
    Entries that are not regular files are returned to be refused.
    """
    files = [entry for entry in entries if entry.kind == FILE]
    writers = open_for_writing() if files else {}
    ready: list[Entry] = [entry for entry in entries if entry.kind != FILE]
    waiting: list[Waiting] = []

    def open_by(entry: Entry, status: os.stat_result) -> bool:
        pid = writers.get((status.st_dev, status.st_ino))
        if pid is None:
            return False
        waiting.append(
            Waiting(entry, f"process {pid} still has it open for writing: left for the next run")
        )
        return True

    young = []
    for entry in files:
        if open_by(entry, entry.stat):
            continue
        age = time.time() - entry.stat.st_mtime
        (young if age < settle else ready).append(entry)
    if young:
        newest = max(entry.stat.st_mtime for entry in young)
        time.sleep(max(0.0, min(settle, newest + settle - time.time())))
        writers = open_for_writing()
        for entry in young:
            try:
                status = os.lstat(entry.path)
            except FileNotFoundError:
                continue
            if open_by(entry, status):
                continue
            if _changed(entry.stat, status):
                waiting.append(
                    Waiting(
                        entry,
                        f"it changed within the last {settle:g} s (still being written?): "
                        "left for the next run",
                    )
                )
                continue
            ready.append(replace(entry, stat=status))
    order = {id(entry): number for number, entry in enumerate(entries)}
    ready.sort(key=lambda entry: order.get(id(entry), len(order)))
    return ready, waiting


def claim(entry: Entry, file_id: str) -> Entry:
    """Rename the entry into its claim folder; an earlier run's claim is kept as it is."""
    if entry.claim_id is not None:
        return entry
    folder = entry.inbox_path.parent / CLAIMS / file_id
    folder.mkdir(parents=True)
    claimed = folder / entry.inbox_path.name
    os.rename(entry.inbox_path, claimed)
    return replace(entry, path=claimed, claim_id=file_id)


def unclaim(entry: Entry) -> None:
    """Put a claimed entry back where it arrived (kept claimed if that name is taken again)."""
    if entry.claim_id is None or not os.path.lexists(entry.path):
        return
    if os.path.lexists(entry.inbox_path):
        log.warning("%s arrived again: the earlier copy waits in %s", entry.shown, entry.path)
        return
    os.rename(entry.path, entry.inbox_path)
    _remove_claim_folder(entry)


def release(entry: Entry) -> None:
    """Remove a claimed file from the inbox once the log records what was done with it."""
    if entry.claim_id is None:
        os.unlink(entry.path)
        return
    if os.path.lexists(entry.path):
        os.unlink(entry.path)
    _remove_claim_folder(entry)


def _remove_claim_folder(entry: Entry) -> None:
    """Remove the claim's folder, and the claims folder once it is empty."""
    with contextlib.suppress(OSError):
        entry.path.parent.rmdir()
        entry.path.parent.parent.rmdir()
