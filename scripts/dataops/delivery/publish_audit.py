"""The audit of the change a publish makes: a public mart must not lose rows or days.

dbt's tests audit the candidate on its own (the zones' conservation, staging rows =
trusted + quarantined, is the singular test
``assert_staging_rows_equal_trusted_plus_quarantined_rows``; every flight of trusted in
``fct_flights`` is ``assert_fct_flights_keeps_every_trusted_flight``). What they cannot see
is prod: this module compares each public mart (``access: public`` in the candidate's
manifest) of the candidate with prod's, and lists the marts that lost more rows than the
share ``publish_max_row_loss_share`` or more days than ``publish_max_days_lost`` (vars of
``dbt_project.yml``). A mart's day column is its incremental ``unique_key`` when that is
one date column, else its first column typed ``date``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dataops.core.errors import DataOpsError
from dataops.core.project import Project
from dataops.core.zones import has_relation

log = logging.getLogger(__name__)

MAX_ROW_LOSS_SHARE = "publish_max_row_loss_share"
MAX_DAYS_LOST = "publish_max_days_lost"


@dataclass(frozen=True)
class Bounds:
    max_row_loss_share: float
    max_days_lost: int

    @classmethod
    def of(cls, project: Project) -> Bounds:
        path = project.root / "dbt_project.yml"
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise DataOpsError(f"cannot read {path}: {error}", "fix the file") from error
        found = document.get("vars") or {}
        try:
            return cls(float(found.get(MAX_ROW_LOSS_SHARE, 0)), int(found.get(MAX_DAYS_LOST, 0)))
        except (TypeError, ValueError) as error:
            raise DataOpsError(
                f"the vars {MAX_ROW_LOSS_SHARE} and {MAX_DAYS_LOST} of {path} are not numbers",
                f"set {MAX_ROW_LOSS_SHARE} to a share (0.01) and {MAX_DAYS_LOST} to a count (0)",
            ) from error


@dataclass(frozen=True)
class Mart:
    """A public mart: its relation in the warehouse file and its day column, if any."""

    name: str
    schema: str
    alias: str
    day_column: str | None


@dataclass(frozen=True)
class Change:
    """A public mart in prod and in the candidate."""

    mart: str
    prod_rows: int
    candidate_rows: int
    day_column: str | None
    days_lost: int

    @property
    def rows_lost(self) -> int:
        return max(self.prod_rows - self.candidate_rows, 0)

    @property
    def loss_share(self) -> float:
        return self.rows_lost / self.prod_rows if self.prod_rows else 0.0

    def breaks(self, bounds: Bounds) -> bool:
        return self.loss_share > bounds.max_row_loss_share or self.days_lost > bounds.max_days_lost

    @property
    def line(self) -> str:
        plural = "" if self.days_lost == 1 else "s"
        days = f", {self.days_lost} day{plural} of {self.day_column} lost" if self.days_lost else ""
        return (
            f"{self.mart}: {self.prod_rows:,} rows in prod, {self.candidate_rows:,} in the"
            f" candidate ({self.loss_share:.2%} lost{days})"
        )


def _day_column(node: dict[str, Any]) -> str | None:
    key = node.get("config", {}).get("unique_key")
    columns = node.get("columns", {})
    if isinstance(key, str) and columns.get(key, {}).get("data_type") == "date":
        return key
    return next(
        (name for name, column in columns.items() if column.get("data_type") == "date"), None
    )


def public_marts(manifest: Path) -> list[Mart]:
    """The enabled public models of the manifest (DuckDB relations: schema and alias)."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    return sorted(
        (
            Mart(node["name"], node["schema"], node.get("alias") or node["name"], _day_column(node))
            for node in nodes.values()
            if node["resource_type"] == "model"
            and node.get("access") == "public"
            and node.get("config", {}).get("enabled", True)
        ),
        key=lambda mart: mart.name,
    )


def compare(prod: Path, candidate: Path, marts: list[Mart]) -> list[Change]:
    """Rows and days of each public mart in prod and in the candidate (both read-only)."""
    changes = []
    with duckdb.connect() as con:
        con.execute("attach ? as published (read_only)", [str(prod)])
        con.execute("attach ? as proposed (read_only)", [str(candidate)])
        for mart in marts:
            if not has_relation(con, f"{mart.schema}.{mart.alias}", "published"):
                continue  # a mart prod does not have yet loses nothing
            old = f'published."{mart.schema}"."{mart.alias}"'
            new = f'proposed."{mart.schema}"."{mart.alias}"'
            # a public mart the candidate no longer has lost every row and every day
            kept = has_relation(con, f"{mart.schema}.{mart.alias}", "proposed")
            prod_rows = con.execute(f"select count(*) from {old}").fetchall()[0][0]
            candidate_rows = (
                con.execute(f"select count(*) from {new}").fetchall()[0][0] if kept else 0
            )
            days_lost = 0
            if mart.day_column:
                day = f'"{mart.day_column}"'
                remaining = f" except select distinct {day} from {new}" if kept else ""
                days_lost = con.execute(
                    f"select count(*) from (select distinct {day} from {old}{remaining})"
                ).fetchall()[0][0]
            changes.append(
                Change(mart.name, prod_rows, candidate_rows, mart.day_column, int(days_lost))
            )
    return changes


def shrinking(changes: list[Change], bounds: Bounds) -> list[Change]:
    return [change for change in changes if change.breaks(bounds)]


def as_record(changes: list[Change]) -> list[dict[str, Any]]:
    return [
        {**asdict(change), "rows_lost": change.rows_lost, "loss_share": change.loss_share}
        for change in changes
    ]


def refusal(shrunk: list[Change], bounds: Bounds, candidate: Path) -> DataOpsError:
    """The refusal of a publish whose public marts shrink beyond the bounds."""
    return DataOpsError(
        "publish refused, prod unchanged: "
        + "; ".join(change.line for change in shrunk)
        + f" (bounds in dbt_project.yml: {MAX_ROW_LOSS_SHARE} {bounds.max_row_loss_share},"
        f" {MAX_DAYS_LOST} {bounds.max_days_lost});"
        f" candidate kept for inspection: {candidate}",
        "if the removal is deliberate run dataops publish --allow-shrink (recorded);"
        " otherwise find why the candidate lost them, then run dataops publish again",
    )


def audit(
    project: Project, prod: Path, candidate: Path, manifest: Path
) -> tuple[list[dict[str, Any]], list[Change]]:
    """Each public mart of prod against the candidate (as recorded), and those beyond bounds."""
    if not prod.exists():
        return [], []  # a first publish has nothing to lose
    changes = compare(prod, candidate, public_marts(manifest))
    return as_record(changes), shrinking(changes, Bounds.of(project))
