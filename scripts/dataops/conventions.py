"""Convention checks over dbt's ``manifest.json``: fast, no warehouse needed.

``dbt parse`` writes the manifest in seconds; these rules read it and name the
offending node and the rule it breaks. They encode this project's zones (see
README, "Zones") and the rules of dbt-project-evaluator that fit them:

| rule | dbt-project-evaluator counterpart |
|---|---|
| ``source-outside-landing`` | direct join to source, downstream models dependent on source |
| ``dependency-direction`` | staging models dependent on downstream models, model fanout |
| ``hard-coded-reference`` | hard-coded references |
| ``naming-convention`` | model naming conventions |
| ``model-directory`` | model directories (the schema must be the zone of the folder) |
| ``missing-primary-key-test`` | missing primary key tests |
| ``source-freshness`` | (project rule: every source has freshness thresholds) |
| ``public-model-contract`` | public models without contract |
| ``undocumented-model`` | undocumented models, undocumented public models (columns too) |
| ``undocumented-source`` | undocumented sources, undocumented source tables |
| ``unused-source`` | unused sources |
| ``depends-on-comment`` | (project rule: every read is a ``ref`` in an import CTE) |
| ``hook-built-from-strings`` | (project rule: a hook calls one macro, whose SQL sqlfluff lints) |

Left out, because they do not fit the zones: root models (``dim_dates`` is a
date spine with no parent by design), multiple sources joined (every landing
model reads its feed and the ingestion log), chained views, exposures.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dataops.build import run_dbt
from dataops.errors import DataOpsError
from dataops.project import Project

# Zone of a model = first folder under the model path = its schema.
ZONES = ("landing", "staging", "trusted", "quarantine", "marts", "observability")
SNAPSHOT_ZONE = "snapshots"
PUBLIC_ZONE = "marts"

NAME_PREFIXES: dict[str, tuple[str, ...]] = {
    "landing": ("ldg_",),
    "staging": ("stg_",),
    "trusted": ("int_", "trusted_"),
    "quarantine": ("quarantine_",),
    "marts": ("fct_", "dim_", "mart_", "ml_"),
    SNAPSHOT_ZONE: ("snapshot_",),
}

# Which zones a zone may read through ref(). Observability may read anything.
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    "landing": frozenset({"landing"}),
    SNAPSHOT_ZONE: frozenset({"landing"}),
    "staging": frozenset({"landing", SNAPSHOT_ZONE}),
    "trusted": frozenset({"staging", "trusted"}),
    "quarantine": frozenset({"trusted"}),
    "marts": frozenset({"trusted", "marts"}),
    "observability": frozenset({*ZONES, SNAPSHOT_ZONE}),
}
# Quarantine reads only the trusted helpers that flag the rows a rule rejects.
QUARANTINE_PARENT = re.compile(r"^int_\w+_validated$")

# A read declared to dbt in a comment instead of a ref in the SQL.
_DEPENDS_ON = re.compile(r"--\s*depends_on:", re.IGNORECASE)
# A hook that is one call of a macro, with no string concatenation in its arguments.
_MACRO_CALL = re.compile(r"^\s*\{\{\s*[\w.]+\((?:[^~{}]|\{(?!\{))*\)\s*\}\}\s*$", re.DOTALL)

# A relation named schema.table (or db.schema.table) right after from/join,
# outside Jinja: a reference dbt cannot see. ``extract(part from x.y)`` is not one.
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_EXTRACT = re.compile(r"\bextract\s*\(\s*\w+\s+from\b", re.IGNORECASE)
_HARD_CODED = re.compile(
    r"\b(?:from|join)\s+((?:\"?[a-z_]\w*\"?\.){1,2}\"?[a-z_]\w*\"?)", re.IGNORECASE
)


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: which node, where, and what to change."""

    rule: str
    node: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.rule}] {self.node}: {self.message}"


def _violation(rule: str, node: dict, message: str) -> Violation:
    return Violation(rule, node["unique_id"], node["original_file_path"], message)


def load_manifest(path: Path) -> dict:
    if not path.is_file():
        raise DataOpsError(f"no dbt manifest at {path}", "run dbt parse (dataops check does)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataOpsError(f"{path} is not valid JSON: {error}", "run dbt parse again") from error


def _zone(node: dict) -> str | None:
    if node["resource_type"] == "snapshot":
        return SNAPSHOT_ZONE
    parts = PurePosixPath(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 else None


class _Project:
    """The project's own nodes of a manifest, indexed for the rules."""

    def __init__(self, manifest: dict) -> None:
        name = manifest["metadata"]["project_name"]
        own = [n for n in manifest["nodes"].values() if n.get("package_name") == name]
        self.nodes = {n["unique_id"]: n for n in own}
        self.models = [n for n in own if n["resource_type"] == "model"]
        self.snapshots = [n for n in own if n["resource_type"] == "snapshot"]
        self.tests = [n for n in own if n["resource_type"] == "test"]
        self.seeds = [n for n in own if n["resource_type"] == "seed"]
        self.operations = [n for n in own if n["resource_type"] == "operation"]
        self.sources = [s for s in manifest["sources"].values() if s.get("package_name") == name]

    def zone(self, unique_id: str) -> str | None:
        node = self.nodes.get(unique_id)
        return _zone(node) if node else None


def _source_outside_landing(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots]:
        zone = _zone(node)
        sources = [p for p in node["depends_on"]["nodes"] if p.startswith("source.")]
        if sources and zone != "landing":
            yield _violation(
                "source-outside-landing",
                node,
                f"calls source() ({', '.join(sorted(sources))}) in zone {zone}: only landing"
                " models read sources; ref() the landing model instead",
            )


def _dependency_direction(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots]:
        zone = _zone(node)
        allowed = ALLOWED_PARENTS.get(zone or "")
        if allowed is None:
            continue
        for parent in node["depends_on"]["nodes"]:
            # Seeds are the project's own reference tables (rules, holidays): any zone reads them.
            if not parent.startswith(("model.", "snapshot.")):
                continue
            parent_zone = project.zone(parent)
            parent_name = parent.rsplit(".", 1)[-1]
            wrong_zone = parent_zone not in allowed
            wrong_helper = zone == "quarantine" and not QUARANTINE_PARENT.match(parent_name)
            if wrong_zone or wrong_helper:
                expected = (
                    "the trusted int_*_validated helpers"
                    if zone == "quarantine"
                    else " or ".join(sorted(allowed))
                )
                yield _violation(
                    "dependency-direction",
                    node,
                    f"zone {zone} reads {parent_name} (zone {parent_zone}); it may read only"
                    f" {expected} (landing -> staging -> trusted -> marts)",
                )


def _hard_coded_reference(project: _Project) -> Iterable[Violation]:
    for node in project.models:
        code = _SQL_COMMENT.sub(" ", _JINJA.sub(" ", node.get("raw_code", "")))
        code = _EXTRACT.sub(" ", code)
        for match in _HARD_CODED.finditer(code):
            yield _violation(
                "hard-coded-reference",
                node,
                f"reads {match.group(1)} by name: use ref() or source() so dbt sees the dependency",
            )


def _naming_convention(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots]:
        zone = _zone(node)
        prefixes = NAME_PREFIXES.get(zone or "")
        if prefixes and not node["name"].startswith(prefixes):
            yield _violation(
                "naming-convention",
                node,
                f"a {zone} model's name starts with {' or '.join(prefixes)}",
            )


def _model_directory(project: _Project) -> Iterable[Violation]:
    for node in project.models:
        zone = _zone(node)
        schema = node["config"].get("schema")
        if zone not in ZONES:
            yield _violation(
                "model-directory",
                node,
                f"is not in a zone folder: put it under models/<zone>/ ({', '.join(ZONES)})",
            )
        elif schema != zone:
            yield _violation(
                "model-directory",
                node,
                f"builds into schema {schema} from folder {zone}: folder = schema = zone",
            )


def model_keys(tests: Iterable[dict]) -> dict[str, list[str]]:
    """The tested key of each model: a column tested unique and not_null, else the
    columns of a unique_combination_of_columns test."""
    column_tests: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    combinations: dict[str, list[str]] = {}
    for test in tests:
        metadata = test.get("test_metadata") or {}
        attached = test.get("attached_node")
        if not attached:
            continue
        if metadata.get("name") == "unique_combination_of_columns":
            arguments = metadata.get("kwargs", {})
            combinations[attached] = list(arguments.get("combination_of_columns") or [])
        elif test.get("column_name"):
            column_tests[attached][test["column_name"]].add(metadata.get("name", ""))
    keys = dict(combinations)
    for unique_id, columns in column_tests.items():
        for column, names in sorted(columns.items()):
            if {"unique", "not_null"} <= names:
                keys[unique_id] = [column]
                break
    return keys


def _missing_primary_key_test(project: _Project) -> Iterable[Violation]:
    keys = model_keys(project.tests)
    for node in project.models:
        if node["unique_id"] not in keys:
            yield _violation(
                "missing-primary-key-test",
                node,
                "no key tested: add unique + not_null on one column, or"
                " unique_combination_of_columns for a composite grain",
            )


def _has_threshold(freshness: dict | None) -> bool:
    freshness = freshness or {}
    return any(
        (freshness.get(level) or {}).get("count") is not None
        for level in ("warn_after", "error_after")
    )


def _source_freshness(project: _Project) -> Iterable[Violation]:
    for source in project.sources:
        freshness = source.get("freshness") or (source.get("config") or {}).get("freshness")
        if not _has_threshold(freshness):
            yield _violation(
                "source-freshness",
                source,
                "no freshness thresholds: add config.freshness (warn_after/error_after)"
                " with loaded_at_field or loaded_at_query",
            )


def _public_model_contract(project: _Project) -> Iterable[Violation]:
    for node in project.models:
        if _zone(node) != PUBLIC_ZONE:
            continue
        if node.get("language") == "python":
            # dbt enforces contracts on SQL models only: a Python mart declares its types
            columns = node.get("columns", {}).values()
            untyped = [column["name"] for column in columns if not column.get("data_type")]
            if untyped or not columns:
                yield _violation(
                    "public-model-contract",
                    node,
                    "a Python marts model cannot enforce a contract: declare every column with a"
                    f" data_type and cast to it (untyped: {', '.join(untyped) or 'every column'})",
                )
        elif not node["config"]["contract"].get("enforced"):
            yield _violation(
                "public-model-contract",
                node,
                "a marts model is public: enforce its contract (contract: {enforced: true})"
                " with a data_type on every column",
            )


def _undocumented_model(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots]:
        if not node.get("description", "").strip():
            yield _violation(
                "undocumented-model",
                node,
                "no description: start it with the grain (One row per ...)",
            )
        for column in node.get("columns", {}).values():
            if not column.get("description", "").strip():
                yield _violation(
                    "undocumented-model",
                    node,
                    f"column {column['name']} has no description",
                )


def _undocumented_source(project: _Project) -> Iterable[Violation]:
    for source in project.sources:
        missing = [
            what
            for what, text in (
                ("source", source.get("source_description", "")),
                ("table", source.get("description", "")),
            )
            if not text.strip()
        ]
        if missing:
            yield _violation(
                "undocumented-source",
                source,
                f"no description of the {' or the '.join(missing)}",
            )


def _unused_source(project: _Project) -> Iterable[Violation]:
    used = {
        parent
        for node in [*project.models, *project.snapshots]
        for parent in node["depends_on"]["nodes"]
    }
    for source in project.sources:
        if source["unique_id"] not in used:
            yield _violation(
                "unused-source",
                source,
                "no model reads it: read it in a landing model, or remove it",
            )


def _depends_on_comment(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots]:
        if _DEPENDS_ON.search(node.get("raw_code", "")):
            yield _violation(
                "depends-on-comment",
                node,
                "declares a read in a -- depends_on comment: read it as a ref() in an import"
                " CTE at the top of the model",
            )


def _hook_built_from_strings(project: _Project) -> Iterable[Violation]:
    for node in [*project.models, *project.snapshots, *project.seeds, *project.operations]:
        hooks = [node["raw_code"]] if node["resource_type"] == "operation" else []
        for key in ("pre-hook", "post-hook"):
            hooks += [hook.get("sql", "") for hook in node["config"].get(key) or []]
        for hook in hooks:
            if not _MACRO_CALL.match(hook):
                yield _violation(
                    "hook-built-from-strings",
                    node,
                    f"a hook holds SQL in a string ({' '.join(hook.split())[:60]!r}): write the"
                    " SQL in a macro and call it, pre_hook=\"{{ my_macro(ref('x')) }}\"",
                )


RULES = {
    "source-outside-landing": _source_outside_landing,
    "dependency-direction": _dependency_direction,
    "hard-coded-reference": _hard_coded_reference,
    "naming-convention": _naming_convention,
    "model-directory": _model_directory,
    "missing-primary-key-test": _missing_primary_key_test,
    "source-freshness": _source_freshness,
    "public-model-contract": _public_model_contract,
    "undocumented-model": _undocumented_model,
    "undocumented-source": _undocumented_source,
    "unused-source": _unused_source,
    "depends-on-comment": _depends_on_comment,
    "hook-built-from-strings": _hook_built_from_strings,
}


def check_manifest(manifest: dict) -> list[Violation]:
    """Every violation of every rule, sorted by rule then node."""
    project = _Project(manifest)
    return sorted(v for rule in RULES.values() for v in rule(project))


def check_project(project: Project, artifacts_dir: Path | None = None) -> list[Violation]:
    """``dbt parse`` the project (no warehouse opened), then check its manifest."""
    outcome = run_dbt(project, ["parse", "--no-partial-parse"], artifacts_dir=artifacts_dir)
    if not outcome.success:
        raise DataOpsError("dbt parse failed", "read the dbt output above and fix the project")
    target = (artifacts_dir or project.root) / "target"
    return check_manifest(load_manifest(target / "manifest.json"))
