"""File helpers shared by feed and ingest: atomic writes, hashing, locks."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dataops.errors import DataOpsError

CHUNK = 1 << 20


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
    leaves at most a hidden temporary file, which ingest clears.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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
