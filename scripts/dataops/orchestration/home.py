"""DAGSTER_HOME and its ``dagster.yaml``: SQLite storage, one writer per warehouse, offline.

``python -m dataops.orchestration.home`` writes the instance settings into
DAGSTER_HOME (by default ``<warehouse>/dagster``, git-ignored with the rest of
the warehouse folder) and prints its path; ``make orchestrate`` runs it before
``dg dev``. A ``dagster.yaml`` someone wrote by hand (without the first line
below) is left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.orchestration.settings import WAREHOUSE_TAG, WRITER_POOL, Settings

MARKER = "# dataops.orchestration.home writes this file"

INSTANCE = f"""{MARKER}; a copy without this line is kept as it is.
# The run history, event logs and schedules in SQLite files under DAGSTER_HOME.
storage:
  sqlite:
    base_dir:
      env: DAGSTER_HOME
concurrency:
  runs:
    max_concurrent_runs: 4
    # DuckDB admits one writer per file: the runs that write a warehouse folder
    # (ingest, build, publish) wait in the queue for the one before them.
    tag_concurrency_limits:
      - key: "{WAREHOUSE_TAG}"
        value:
          applyLimitPerUniqueValue: true
        limit: 1
  # Steps that write a warehouse, however their run was launched (a job, assets
  # materialized from the UI), run one at a time; pool {WRITER_POOL}.
  pools:
    default_limit: 1
# Offline: no usage statistics sent, no sign-up dialog for the newsletter.
telemetry:
  enabled: false
nux:
  enabled: false
"""


def prepare_home(settings: Settings) -> Path:
    """Create DAGSTER_HOME with its ``dagster.yaml`` (unless one was written by hand)."""
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8").startswith(MARKER):
        write_atomic(config, INSTANCE.encode())
    return home


def main() -> int:
    try:
        print(prepare_home(Settings.from_environment()))
    except DataOpsError as error:
        print(f"error: {error.reason}\n  what to do: {error.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
