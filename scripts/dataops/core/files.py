"""File helpers shared by feed, ingest and build: atomic writes, hashing, locks, and what to say
when a folder cannot be written (read-only, no permission, no space: ``not_writable``)."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dataops.core.errors import DataOpsError

CHUNK = 1 << 20

# os.umask can only be read by setting it: one reader at a time
_UMASK_LOCK = threading.Lock()


def umask() -> int:
    """The process's file-mode creation mask (022 on most systems)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def default_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 minus the umask (0644 with umask 022)."""
    return 0o666 & ~umask()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _atomic_target(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside ``path``, renamed onto it once written and synced.

    Readers see the old file or the whole new one, never a part: a crash
    leaves at most a hidden temporary file, which ingest clears. The file gets
    the mode any new file gets (``default_mode``), not mkstemp's private 0600:
    a report or a docs page is read by a web server, a colleague, a browser.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, default_mode())
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        # name the file being written, not its hidden temporary copy
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with _atomic_target(path) as handle:
        handle.write(data)


def copy_atomic(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` atomically."""
    with _atomic_target(target) as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, CHUNK)


def remove_quietly(path: Path) -> None:
    """Remove a file if it is there; a failure to remove it is not an error of its own."""
    with suppress(OSError):
        path.unlink(missing_ok=True)


@contextmanager
def exclusive_lock(path: Path, reason: str, hint: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if absent) or raise DataOpsError.

    The kernel frees the lock when the process ends, however it ends: a killed
    run never leaves a stale lock. The holder's pid is written into the file so
    that the refusal can name it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.seek(0)
            holder = handle.read().strip()
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise DataOpsError(f"{reason}{by}", hint) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()


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
