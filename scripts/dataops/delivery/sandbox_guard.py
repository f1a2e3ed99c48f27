"""The guard of the dbt target ``sandbox``: a dbt-duckdb plugin that applies the sandbox rule.

profiles.yml lists this module among the target's ``plugins``. dbt-duckdb creates
its plugins, with the target's credentials, before it opens the database, so
plain ``dbt ... --target sandbox`` with a ``DATAOPS_SANDBOX`` that
``dataops sandbox create`` would refuse (``../dev``, ``prod``, unset) stops
there: no file is opened or created, and the message says what to do. The rule
itself is ``dataops.core.project.check_sandbox_target``, which ``dataops`` applies to
the same target.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

from dataops.core.errors import DataOpsError
from dataops.core.project import check_sandbox_target


class Plugin(BasePlugin):
    """Refuses a sandbox target outside the rule; does nothing else."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        credentials = self.creds
        if credentials is None:
            raise DbtRuntimeError(f"{__name__} needs the target's credentials")
        attached = [
            (item.path, bool(item.read_only or (item.options or {}).get("read_only")))
            for item in credentials.attach or []
        ]
        try:
            check_sandbox_target(
                str(plugin_config.get("sandbox") or ""), credentials.path, attached
            )
        except DataOpsError as error:
            raise DbtRuntimeError(str(error)) from error
