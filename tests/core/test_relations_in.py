"""``relations_in`` and ``has_relation``: what a warehouse holds, one database at a time."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dataops.core.zones import has_relation, relations_in


def test_tables_and_views_of_a_schema_in_the_named_database_only(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("create schema landing")
        con.execute("create table landing.ingested_files (file_id varchar)")
    with duckdb.connect(str(tmp_path / "own.duckdb")) as con:
        con.execute("create schema observability")
        con.execute("create table observability.profile_runs (unique_id varchar)")
        con.execute("create view observability.latest as select 1 as one")
        con.execute(f"attach '{other}' as unpublished (read_only)")

        assert relations_in(con, "observability") == {"profile_runs", "latest"}
        assert relations_in(con, "landing") == set()
        assert relations_in(con, "landing", "unpublished") == {"ingested_files"}
        assert relations_in(con, "no_such_schema") == set()
        assert has_relation(con, "observability.latest")
        assert not has_relation(con, "landing.ingested_files")
        assert has_relation(con, "landing.ingested_files", "unpublished")
        assert not has_relation(con, "observability.ingested_files", "unpublished")
