"""Convention checks over dbt's ``manifest.json``: fast, no warehouse needed.

``dbt parse`` writes the manifest in seconds. dbt-bouncer checks it against
``dbt-bouncer.yml`` at the project's root: the zones (folder = schema = name
prefix, see docs/zones.md), the direction of the lineage, sources read only
in landing, no hard-coded relations and no ``-- depends_on`` comments,
contracts and typed columns on the public marts, one YAML per model beside it,
descriptions (models, columns, snapshots, sources, seeds, macros and their
arguments, exposures), source freshness and unused sources. Each of its checks
there carries what to do when it fails: its description starts the message.

The rules dbt-bouncer cannot express stay here, each with the reason:

- ``missing-primary-key-test``: a key is a column tested ``unique`` and
  ``not_null`` (or a ``unique_combination_of_columns``); dbt-bouncer's
  ``check_model_has_unique_test`` accepts ``unique`` alone.
- ``snapshot-lineage``: a snapshot reads landing models; only staging (and
  observability) read snapshots. ``check_lineage_permitted_upstream_models``
  sees the parents that are models only, never snapshots.
- ``hook-built-from-strings``: a hook is one macro call; no dbt-bouncer check
  reads hooks (of models, snapshots, seeds, on-run-start/end).

Then the glossary's rules (``dataops.catalog.glossary``, docs/governance.md,
"Glossary"): ``glossary-missing-term`` and ``glossary-broken-link``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from dataops.catalog import glossary
from dataops.core.dbt import run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)

BOUNCER_CONFIG = "dbt-bouncer.yml"
# The public zone (ci.py compares its tables against prod's).
PUBLIC_ZONE = "marts"
# Who may read a snapshot, and what a snapshot reads (dbt-bouncer's lineage checks see models).
SNAPSHOT_READERS = frozenset({"staging", "observability"})
SNAPSHOT_PARENT_ZONE = "landing"
# A hook that is one call of a macro, with no string concatenation in its arguments.
_MACRO_CALL = re.compile(r"^\s*\{\{\s*[\w.]+\((?:[^~{}]|\{(?!\{))*\)\s*\}\}\s*$", re.DOTALL)


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


def load_config(path: Path) -> dict:
    """The dbt-bouncer configuration (its ``manifest_checks``)."""
    if not path.is_file():
        raise DataOpsError(
            f"no dbt-bouncer configuration at {path}",
            f"restore {BOUNCER_CONFIG} at the project's root (the convention checks)",
        )
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise DataOpsError(f"{path} is not valid YAML: {error}", "fix its syntax") from error
    if not isinstance(config, dict) or not config.get("manifest_checks"):
        raise DataOpsError(f"{path} lists no manifest_checks", "list the checks to run in it")
    return config


def _own(manifest: dict, kinds: tuple[str, ...]) -> list[dict]:
    name = manifest["metadata"]["project_name"]
    return [
        node
        for node in manifest["nodes"].values()
        if node.get("package_name") == name and node["resource_type"] in kinds
    ]


def _zone(node: dict) -> str | None:
    if node["resource_type"] == "snapshot":
        return "snapshots"
    parts = PurePosixPath(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 else None


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


def _missing_primary_key_test(manifest: dict) -> Iterable[Violation]:
    keys = model_keys(_own(manifest, ("test",)))
    for node in _own(manifest, ("model",)):
        if node["unique_id"] not in keys:
            yield _violation(
                "missing-primary-key-test",
                node,
                "no key tested: add unique + not_null on one column, or"
                " unique_combination_of_columns for a composite grain",
            )


def _snapshot_lineage(manifest: dict) -> Iterable[Violation]:
    nodes = {node["unique_id"]: node for node in _own(manifest, ("model", "snapshot"))}
    for node in nodes.values():
        zone = _zone(node)
        for parent in node["depends_on"]["nodes"]:
            parent_node = nodes.get(parent)
            parent_zone = _zone(parent_node) if parent_node else None
            name = parent.rsplit(".", 1)[-1]
            if node["resource_type"] == "snapshot" and (
                parent.startswith("source.")
                or (parent_node is not None and parent_zone != SNAPSHOT_PARENT_ZONE)
            ):
                yield _violation(
                    "snapshot-lineage",
                    node,
                    f"a snapshot reads {name} (zone {parent_zone or 'source'}): a snapshot reads"
                    " landing models only (ref() the landing model of the source)",
                )
            elif parent.startswith("snapshot.") and zone not in SNAPSHOT_READERS:
                yield _violation(
                    "snapshot-lineage",
                    node,
                    f"zone {zone} reads the snapshot {name}: only staging (and observability)"
                    " models read snapshots; ref() the staging or trusted model built on it",
                )


def _hook_built_from_strings(manifest: dict) -> Iterable[Violation]:
    for node in _own(manifest, ("model", "snapshot", "seed", "operation")):
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


PROJECT_RULES = {
    "missing-primary-key-test": _missing_primary_key_test,
    "snapshot-lineage": _snapshot_lineage,
    "hook-built-from-strings": _hook_built_from_strings,
}
# The glossary's rules, checked by check_manifest after the project's own.
GLOSSARY_RULES = (glossary.MISSING, glossary.BROKEN)


def check_rules(manifest: dict) -> list[Violation]:
    """The violations of the project's own rules, sorted by rule then node."""
    return sorted(v for rule in PROJECT_RULES.values() for v in rule(manifest))


def _bouncer_command() -> list[str]:
    script = Path(sys.executable).with_name("dbt-bouncer")
    found = str(script) if script.is_file() else shutil.which("dbt-bouncer")
    if found is None:
        raise DataOpsError(
            "dbt-bouncer is not installed", "pip install -e . (it is a pinned dependency)"
        )
    return [found]


def run_bouncer(manifest_path: Path, config_path: Path) -> list[Violation]:
    """dbt-bouncer's manifest checks of ``config_path`` on ``manifest_path``: its failures."""
    config = load_config(config_path)
    manifest = load_manifest(manifest_path)
    with tempfile.TemporaryDirectory(prefix="dataops-check-") as folder:
        work = Path(folder)
        (work / "target").mkdir()
        shutil.copyfile(manifest_path, work / "target" / "manifest.json")
        # The checks read the project's own nodes, whatever the project is called.
        config |= {
            "dbt_artifacts_dir": str(work / "target"),
            "package_name": manifest["metadata"]["project_name"],
        }
        (work / BOUNCER_CONFIG).write_text(yaml.safe_dump(config), encoding="utf-8")
        results = work / "results.json"
        command = [
            *_bouncer_command(),
            "run",
            "--config-file",
            str(work / BOUNCER_CONFIG),
            "--output-file",
            str(results),
            "--output-only-failures",
        ]
        outcome = subprocess.run(command, capture_output=True, text=True, cwd=work, check=False)
        log.debug("dbt-bouncer: %s%s", outcome.stdout, outcome.stderr)
        # 0: every check passed, 1: some failed; anything else is dbt-bouncer's own error.
        if outcome.returncode not in (0, 1) or not results.is_file():
            output = (outcome.stderr or outcome.stdout).strip().splitlines()[-15:]
            raise DataOpsError(
                f"dbt-bouncer failed (exit {outcome.returncode}) on {config_path}:\n"
                + "\n".join(output),
                f"fix {config_path.name} (checks: dbt-bouncer list) or the manifest",
            )
        failures = json.loads(results.read_text(encoding="utf-8"))
    return sorted(
        Violation(
            rule=failure["check_run_id"].split(":", 1)[0],
            node=failure.get("unique_id") or "",
            path=failure.get("file_path") or config_path.name,
            message=failure.get("failure_message", "failed"),
        )
        for failure in failures
    )


def check_manifest(manifest_path: Path, config_path: Path) -> list[Violation]:
    """dbt-bouncer's checks, then the project's own rules and the glossary's, on one manifest."""
    bounced = run_bouncer(manifest_path, config_path)
    manifest = load_manifest(manifest_path)
    # The glossary (dataops.catalog.glossary): a term for every public mart column, metric
    # and ML feature, and no term naming what does not exist.
    named = [Violation(p.rule, p.node, p.path, p.message) for p in glossary.check(manifest)]
    return bounced + check_rules(manifest) + named


def check_project(project: Project, artifacts_dir: Path | None = None) -> list[Violation]:
    """``dbt parse`` the project (no warehouse opened), then check its manifest."""
    outcome = run_dbt(project, ["parse", "--no-partial-parse"], artifacts_dir=artifacts_dir)
    if not outcome.success:
        raise DataOpsError("dbt parse failed", "read the dbt output above and fix the project")
    target = (artifacts_dir or project.root) / "target"
    return check_manifest(target / "manifest.json", project.root / BOUNCER_CONFIG)
