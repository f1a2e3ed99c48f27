"""One measured step of a benchmark: a child process, its wall time, peak memory and disk.

The peak resident memory of the child's whole process tree and, optionally, the
peak growth of a folder are sampled every ``SAMPLE_SECONDS`` while it runs. A
child that exits non-zero fails the benchmark: a figure is only kept for a
step that did its work.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from dataops.bench.publish_path import folder_bytes
from dataops.core.errors import DataOpsError

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 0.1
GIB = 1024**3


@dataclass
class Step:
    """One measured step: wall time and peak memory of its process tree."""

    name: str
    seconds: float
    peak_bytes: int
    # growth of the folder watched, over its size at the start (0 when none is watched)
    peak_extra_disk_bytes: int = 0


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(
    name: str,
    command: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    output: Path,
    disk: Path | None = None,
) -> Step:
    """Run ``command`` (its output to ``output``); wall time and peak RSS of its process tree.

    With ``disk``, the peak size of that folder over its size at the start is kept too.
    A command that fails (non-zero exit) fails the benchmark.
    """
    log.debug("%s: %s", name, " ".join(command))
    started = time.monotonic()
    with output.open("wb") as sink:
        child = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=sink, stderr=sink)
        code, peak, extra = _watch(child, disk)
    seconds = time.monotonic() - started
    if code != 0:
        raise DataOpsError(
            f"benchmark step {name} failed (exit {code}): {' '.join(command)}",
            f"read its output in {output}",
        )
    log.info("%-15s %7.1f s  peak %.2f GiB  (output: %s)", name, seconds, peak / GIB, output)
    return Step(name, seconds, peak, extra)


def _watch(child: subprocess.Popen, disk: Path | None = None) -> tuple[int, int, int]:
    """Wait for ``child``; its exit code, the peak RSS of its tree, the peak growth of ``disk``."""
    peak = 0
    start_bytes = folder_bytes(disk) if disk is not None else 0
    peak_bytes = start_bytes
    watched = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_bytes
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(watched))
            if disk is not None:
                peak_bytes = max(peak_bytes, folder_bytes(disk))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    done.set()
    sampler.join()
    if disk is not None:
        # what the child left behind counts even when it ended between two samples
        peak_bytes = max(peak_bytes, folder_bytes(disk))
    return code, peak, peak_bytes - start_bytes
