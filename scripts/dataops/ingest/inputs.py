"""The landed files a build is about to read, re-hashed before dbt runs (``verify_inputs``).

The build (``dataops.core.build``) takes this check as its ``check_inputs``: the command
line, publish and the orchestration pass it, so the core never reads the ingestion log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from dataops.core.project import Project
from dataops.core.zones import LANDING_RELATIONS
from dataops.ingest.verify import VerifyResult, inputs, require_intact

log = logging.getLogger(__name__)


def verify_inputs(
    project: Project,
    target: str | None,
    full_refresh: bool = False,
    ingestion_log_of: str | None = None,
    refused: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyResult:
    """Re-hash the landed files a build of ``target`` is about to read; refuse if one differs.

    The landing models read the landed files whose SHA-256 is not in their
    ``_file_sha256`` yet (every file on a full refresh): on a DuckDB target
    exactly those are checked. A Spark target's landing tables are in Spark,
    which dataops does not start for this: every landed file of the log it
    reads is checked. Raises DataOpsError naming each changed or missing file,
    led by ``refused`` (default: ``dataops build ... refused``).
    """
    name, output = project.output(target)
    if output["type"] == "duckdb":
        loaded = None if full_refresh else LANDING_RELATIONS
        result = inputs(project, name, loaded, progress)
    else:
        result = inputs(project, ingestion_log_of or name, None, progress, required=True)
    refresh = " --full-refresh" if full_refresh else ""
    require_intact(result, refused or f"dataops build{refresh} on target {name} refused")
    log.info("%s", result.summary)
    return result
