"""dbt-duckdb's connection is closed after a run while the resources sampler may read it."""

from __future__ import annotations

import threading

import duckdb
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.adapters.duckdb.environments.local import LocalEnvironment

from dataops.core import dbt
from dataops.observability import sampling

TRIALS = 200


class _Environment:
    """dbt-duckdb's local environment as the sampler and the release see it: its lock,
    its connection and its own ``close``."""

    close = LocalEnvironment.close

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.conn = duckdb.connect()

    def __del__(self) -> None:  # LocalEnvironment closes on deletion, not needed here
        pass


def test_closing_after_a_run_waits_for_the_sampler_reading_duckdb(monkeypatch) -> None:
    """A close while the sampler reads DuckDB's memory waited, never refused (each trial
    races the two; without the lock DuckDB 2.0 refused most closes as busy)."""
    failures: list[BaseException] = []
    samples = 0
    for _ in range(TRIALS):
        environment = _Environment()
        monkeypatch.setattr(DuckDBConnectionManager, "_ENV", environment)
        started, stop = threading.Event(), threading.Event()

        def sample(started: threading.Event = started, stop: threading.Event = stop) -> None:
            nonlocal samples
            while not stop.is_set():
                try:
                    figures = sampling.dbt_duckdb_figures()
                except BaseException as error:
                    failures.append(error)
                    return
                if figures is None:
                    return  # closed: nothing left to read
                samples += 1
                started.set()

        sampler = threading.Thread(target=sample)
        sampler.start()
        started.wait(5)
        try:
            dbt._release_duckdb()
        except BaseException as error:
            failures.append(error)
        stop.set()
        sampler.join()
        assert environment.conn is None
    assert failures == []
    assert samples >= TRIALS
