"""The pipeline under Dagster: ``make orchestrate`` (``dg dev``, the dg project scripts/dg.toml).

Assets: ingest upstream of the dbt sources, every dbt model, snapshot and seed
from the manifest (``@dbt_assets``) with its tests as asset checks, and training
after the ML datasets once the project has it. Jobs: ``publish`` (write-audit-publish
into prod) and, when the orchestration builds a target other than prod,
``ingest_and_build``. A sensor on the inbox, a daily schedule, alerts. Settings:
``dataops.orchestration.settings``. The definitions are built when Dagster loads
them, not on import.
May import: every capability and ``dataops.core``; not ``dataops.cli`` (the training asset
runs ``dataops train`` as a child process), nor the benchmarks.
"""

from __future__ import annotations

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from dataops.orchestration.definitions import build_definitions

    return build_definitions()
