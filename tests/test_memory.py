"""The real year builds with DuckDB capped far below what it would use: it spills.

Every DuckDB target caps DuckDB's memory (`memory_limit`) and names a
`temp_directory` where it spills beyond the cap (profiles.yml). dbt-duckdb
re-applies a target's `settings` to every new cursor, and DuckDB refuses to
set `temp_directory` again once it has spilled there ("Cannot switch
temporary directory after the current one has been used"), so these options
are `config_options`, set once when the database opens. With them in
`settings`, this build failed at this cap.
"""

from __future__ import annotations

import duckdb
import pytest

from dataops.build import build
from dataops.feed import feed
from dataops.ingest import ingest
from dataops.project import Project
from dataops.sources import Feed

pytestmark = pytest.mark.e2e

# Well under the memory the year's build uses: its joins and sorts spill.
MEMORY_LIMIT = "150MB"
YEAR_FLIGHTS = 336_776


def test_year_builds_and_tests_within_a_small_memory_limit(
    project_env: Project, feeds: dict[str, Feed], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_env
    monkeypatch.setenv("DATAOPS_DUCKDB_MEMORY_LIMIT", MEMORY_LIMIT)
    feed(feeds, project.inbox_dir)
    ingest(project, "ci")

    outcome = build(project, "ci")

    assert outcome.tests.get("fail", 0) == 0 and outcome.tests.get("error", 0) == 0
    con = duckdb.connect(str(project.warehouse_path("ci")), read_only=True)
    try:
        assert con.execute("select count(*) from marts.fct_flights").fetchone() == (YEAR_FLIGHTS,)
    finally:
        con.close()
