"""What the orchestration runs on: the project, the warehouse it delivers to, Dagster's state.

One setting chooses where the runs that Dagster starts by itself (the inbox
sensor, the daily schedule) deliver: ``DATAOPS_ORCHESTRATION_TARGET``.

- ``prod`` (the default): through ``dataops publish``, write-audit-publish,
  so that nothing reaches prod unless every blocking test passed. The assets
  are then materialized by the publish job only (prod is never built in
  place, as ``dataops build`` refuses it).
- a DuckDB target of ``profiles.yml`` (``dev``, ``ci``): ingest and
  ``dbt build`` into it, as ``dataops ingest && dataops build`` would.

The inbox is taken by whichever ingests it first, so one target receives the
sensed files: prod, or the other target (the project's rule for the inbox).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.delivery.publish import CANDIDATE, PROD

TARGET_VARIABLE = "DATAOPS_ORCHESTRATION_TARGET"
DEFAULT_TARGET = PROD
CRON_VARIABLE = "DATAOPS_ORCHESTRATION_CRON"
# Every day at 06:00 UTC: the sources send the day before during the night.
DEFAULT_CRON = "0 6 * * *"
AUDIT_CRON_VARIABLE = "DATAOPS_ORCHESTRATION_AUDIT_CRON"
# Every Sunday at 07:00 UTC, after that day's publish: the full audit.
DEFAULT_AUDIT_CRON = "0 7 * * 0"
HOME_VARIABLE = "DAGSTER_HOME"
# Runs with the same value of this tag run one at a time (dagster.yaml, written by
# dataops.orchestration.home): DuckDB admits one writer per file.
WAREHOUSE_TAG = "dataops/warehouse"
# The concurrency pool of every step that writes the warehouse: one at a time,
# whatever launched it (a job, or assets materialized from the UI).
WRITER_POOL = "dataops_warehouse_writer"
# Targets the orchestration never builds into directly.
REFUSED_TARGETS = frozenset({CANDIDATE, "sandbox"})


@dataclass(frozen=True)
class Settings:
    """The orchestration of one checkout: its project, its target, its schedule."""

    project: Project
    target: str = DEFAULT_TARGET
    cron: str = DEFAULT_CRON
    audit_cron: str = DEFAULT_AUDIT_CRON
    # DAGSTER_HOME, by default the folder ``dagster`` of the warehouse folder
    home: Path = None  # type: ignore[assignment]  # set from the environment when not given

    def __post_init__(self) -> None:
        if self.home is None:
            value = os.environ.get(HOME_VARIABLE)
            home = Path(value) if value else self.project.warehouse_dir / "dagster"
            object.__setattr__(self, "home", home)

    @classmethod
    def from_environment(cls, project: Project | None = None) -> Settings:
        project = project or Project.discover()
        settings = cls(
            project,
            os.environ.get(TARGET_VARIABLE) or DEFAULT_TARGET,
            os.environ.get(CRON_VARIABLE) or DEFAULT_CRON,
        )
        audit_cron = os.environ.get(AUDIT_CRON_VARIABLE)
        if audit_cron:
            settings = dataclasses.replace(settings, audit_cron=audit_cron)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse a target the orchestration cannot deliver to, saying which it can."""
        name, output = self.project.output(self.target)
        if output["type"] != "duckdb" or name in REFUSED_TARGETS:
            raise DataOpsError(
                f"{TARGET_VARIABLE}={name}: the orchestration delivers to prod (through"
                " dataops publish) or builds a DuckDB target of profiles.yml",
                f"set {TARGET_VARIABLE} to prod (the default), dev or ci",
            )

    @property
    def publishes(self) -> bool:
        """Whether the sensed and scheduled runs go through publish into prod."""
        return self.target == PROD

    @property
    def manifest_dir(self) -> Path:
        """Where ``dbt parse`` writes the manifest the asset definitions are made from."""
        return self.home / "dbt" / "manifest"

    def artifacts_dir(self, target: str) -> Path:
        """dbt's target/ and logs/ for the runs of a target (kept: partial parsing)."""
        return self.home / "dbt" / target

    @property
    def warehouse_tag(self) -> dict[str, str]:
        return {WAREHOUSE_TAG: str(self.project.warehouse_dir)}
