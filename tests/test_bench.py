"""The benchmark's child processes start: the dataops CLI as the benchmark calls it."""

from __future__ import annotations

import subprocess

from dataops import bench


def test_the_benchmark_calls_the_dataops_cli() -> None:
    done = subprocess.run(
        [*bench.DATAOPS, "generate", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: dataops generate" in done.stdout
