"""Slim CI: build only what a change touches, against prod, and diff the marts it changes.

``run_ci`` builds ``state:modified+`` (the models the change modified and
everything downstream of them) with ``--defer --state warehouse/prod-artifacts``
into a fresh sandbox ``ci`` (``warehouse/sandboxes/ci.duckdb``, prod attached
read-only): unchanged parents are read from prod, nothing is rebuilt that the
change does not touch. Then every mart it built is compared with prod's, by
the mart's tested key: rows added, removed and changed, which columns changed,
and a few sample rows, as Markdown fit for a pull-request comment.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import duckdb

from dataops.core.dbt import DbtOutcome, run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import CI_SANDBOX, Project
from dataops.delivery.conventions import PUBLIC_ZONE, model_keys
from dataops.delivery.publish import Places
from dataops.delivery.sandbox import TARGET, VARIABLE, attach_read_only, remove_file, sandbox_path
from dataops.delivery.sandbox import quote_identifier as _quote

log = logging.getLogger(__name__)

SAMPLE_ROWS = 5
# Stamped with the build time on every row an incremental model (re)computes: it
# differs between any two builds, so it says nothing about what a change does.
BUILD_STAMP_COLUMNS = frozenset({"_processed_at"})


@dataclass
class MartDiff:
    """How one mart of the change differs from prod's."""

    name: str
    key: list[str]
    prod_rows: int | None
    change_rows: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    changed_columns: dict[str, int] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    samples: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.columns_added or self.columns_removed
        ) and (self.prod_rows is not None)


@dataclass
class CiOutcome:
    build: DbtOutcome
    diffs: list[MartDiff]
    markdown: str


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where database_name = ?"
        " and schema_name = ? and table_name = ? order by column_index",
        [catalog, PUBLIC_ZONE, table],
    ).fetchall()
    return [row[0] for row in rows]


def _literal(value: object) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def diff_mart(
    con: duckdb.DuckDBPyConnection, catalog: str, name: str, key: Sequence[str]
) -> MartDiff:
    """Compare ``<catalog>.marts.<name>`` (the change) with ``prod.marts.<name>``."""
    new = f"{_quote(catalog)}.{PUBLIC_ZONE}.{_quote(name)}"
    old = f"prod.{PUBLIC_ZONE}.{_quote(name)}"
    new_columns = _columns(con, catalog, name)
    old_columns = _columns(con, "prod", name)
    change_rows = con.execute(f"select count(*) from {new}").fetchall()[0][0]
    if not old_columns:
        return MartDiff(name, list(key), None, change_rows, added=change_rows)
    diff = MartDiff(
        name,
        list(key),
        con.execute(f"select count(*) from {old}").fetchall()[0][0],
        change_rows,
        columns_added=[c for c in new_columns if c not in old_columns],
        columns_removed=[c for c in old_columns if c not in new_columns],
    )
    if not key or any(k not in new_columns or k not in old_columns for k in key):
        # No usable key: rows compared whole, on the columns both sides have.
        common = ", ".join(_quote(c) for c in new_columns if c in old_columns)
        diff.added = con.execute(
            f"select count(*) from (select {common} from {new} except all"
            f" select {common} from {old})"
        ).fetchall()[0][0]
        diff.removed = con.execute(
            f"select count(*) from (select {common} from {old} except all"
            f" select {common} from {new})"
        ).fetchall()[0][0]
        return diff
    joined = " and ".join(f"n.{_quote(k)} is not distinct from o.{_quote(k)}" for k in key)
    diff.added = con.execute(
        f"select count(*) from {new} as n anti join {old} as o on {joined}"
    ).fetchall()[0][0]
    diff.removed = con.execute(
        f"select count(*) from {old} as o anti join {new} as n on {joined}"
    ).fetchall()[0][0]
    compared = [
        c for c in new_columns if c in old_columns and c not in key and c not in BUILD_STAMP_COLUMNS
    ]
    if not compared:
        return diff
    differs = {c: f"n.{_quote(c)} is distinct from o.{_quote(c)}" for c in compared}
    counts = con.execute(
        "select count(*) filter (where "
        + " or ".join(differs.values())
        + "), "
        + ", ".join(f"count(*) filter (where {test})" for test in differs.values())
        + f" from {new} as n inner join {old} as o on {joined}"
    ).fetchall()[0]
    diff.changed = counts[0]
    diff.changed_columns = {c: n for c, n in zip(compared, counts[1:], strict=True) if n}
    if diff.changed:
        columns = list(diff.changed_columns)
        keys = ", ".join(f"n.{_quote(k)}" for k in key)
        values = ", ".join(f"o.{_quote(c)}, n.{_quote(c)}" for c in columns)
        rows = con.execute(
            f"select {keys}, {values} from {new} as n inner join {old} as o on {joined}"
            f" where {' or '.join(differs[c] for c in columns)}"
            f" order by {keys} limit {SAMPLE_ROWS}"
        ).fetchall()
        for row in rows:
            key_text = ", ".join(f"{k}={_literal(v)}" for k, v in zip(key, row, strict=False))
            pairs = row[len(key) :]
            for index, column in enumerate(columns):
                before, after = pairs[2 * index], pairs[2 * index + 1]
                if before != after:
                    diff.samples.append((key_text, column, _literal(before), _literal(after)))
    return diff


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(build: DbtOutcome, diffs: list[MartDiff], seconds: float) -> str:
    models = sum(build.models.values())
    lines = [
        "## Data diff against prod",
        "",
        f"`dataops ci` built `state:modified+` against prod: {models} models,"
        f" tests {build.tests_line}, in {seconds:.0f} s.",
        "",
    ]
    if build.failed_nodes:
        lines += ["### Failures", ""]
        for node in build.failed_nodes:
            rows = "" if node.failing_rows is None else f" ({node.failing_rows:,} failing rows)"
            lines.append(f"- **{node.status}** `{node.unique_id}`{rows}")
        lines.append("")
    if not diffs:
        lines.append("No mart changed.")
    for diff in diffs:
        key = ", ".join(diff.key) or "whole rows (no tested key)"
        lines += [f"### `marts.{diff.name}` (key: {key})", ""]
        if diff.prod_rows is None:
            lines += [f"New mart: {diff.change_rows:,} rows, not in prod.", ""]
            continue
        if diff.identical:
            lines += [f"Identical to prod ({diff.change_rows:,} rows).", ""]
            continue
        lines += [
            "| rows in prod | rows with this change | added | removed | changed |",
            "|---:|---:|---:|---:|---:|",
            f"| {diff.prod_rows:,} | {diff.change_rows:,} | {diff.added:,} | {diff.removed:,}"
            f" | {diff.changed:,} |",
            "",
        ]
        if diff.columns_added or diff.columns_removed:
            lines.append(
                f"Columns added: {', '.join(diff.columns_added) or 'none'};"
                f" removed: {', '.join(diff.columns_removed) or 'none'}."
            )
            lines.append("")
        if diff.changed_columns:
            lines += ["| column | rows changed |", "|---|---:|"]
            lines += [f"| `{c}` | {n:,} |" for c, n in diff.changed_columns.items()]
            lines.append("")
        if diff.samples:
            lines += ["| key | column | prod | this change |", "|---|---|---|---|"]
            lines += [
                f"| {_cell(k)} | `{c}` | {_cell(b)} | {_cell(a)} |" for k, c, b, a in diff.samples
            ]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _built_marts(manifest: dict, executed: Sequence[str]) -> list[tuple[str, str]]:
    marts = []
    for unique_id in executed:
        node = manifest["nodes"].get(unique_id) or {}
        if node.get("resource_type") != "model":
            continue
        parts = PurePosixPath(node["original_file_path"]).parts
        if len(parts) > 2 and parts[1] == PUBLIC_ZONE:
            marts.append((unique_id, node["alias"] or node["name"]))
    return marts


def run_ci(project: Project, artifacts_dir: Path | None = None) -> CiOutcome:
    """Build ``state:modified+`` deferring to prod's saved state, then diff the built marts."""

    places = Places.of(project)
    state = places.prod_artifacts
    if not (state / "manifest.json").is_file() or not places.prod.exists():
        raise DataOpsError(
            f"no published prod state in {state}",
            "publish once (dataops publish): CI compares a change with what prod holds",
        )
    sandbox = sandbox_path(project, CI_SANDBOX)
    remove_file(sandbox)
    sandbox.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    command = ["build", "--selector", "slim_ci", "--defer", "--state", str(state)]
    build = run_dbt(project, command, TARGET, artifacts_dir, env={VARIABLE: CI_SANDBOX})
    manifest_path = (artifacts_dir or project.root) / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys = model_keys(n for n in manifest["nodes"].values() if n["resource_type"] == "test")
    diffs = []
    marts = _built_marts(manifest, build.executed)
    if marts:
        con = duckdb.connect(str(sandbox), read_only=True)
        try:
            attach_read_only(con, places.prod, "prod")
            for unique_id, name in marts:
                if _columns(con, CI_SANDBOX, name):
                    diffs.append(diff_mart(con, CI_SANDBOX, name, keys.get(unique_id, [])))
        finally:
            con.close()
    markdown = to_markdown(build, diffs, time.perf_counter() - started)
    return CiOutcome(build, diffs, markdown)
