"""The glossary: the analysts' vocabulary, defined once in the dbt project and tied to the data.

Each term is a docs block ``{% docs term_<id> %}`` in ``models/docs/glossary.md``: the
term in bold and its definition, then a list of fields (``FIELDS``): its owner (a group
of ``models/_groups.yml``), its synonyms, and what it is in the data: columns, metrics,
models. dbt parses the blocks into ``manifest.json`` (``docs``), so the glossary travels
with the manifest like the rest of the project's documentation, and a description may
quote a definition with ``{{ doc('term_<id>') }}``.

A column named ``name`` in the Columns of a term is that column in every model of the
zones ``ZONES`` (the project names a thing the same in every zone); ``model.name`` is
that column in one model only, and wins over the bare name. From there the rest is
derived: the saved queries that ask for a term's metrics, the exposures that read its
metrics or its models, the ML datasets that hold its columns and the role the column
plays for the model (``meta: {ml_role: feature|label}`` on ``ml_delay_features``).

``check`` is the glossary's rule of ``dataops check``: every public mart column, every
metric and every ML feature has a term, and a term names only what exists.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

GLOSSARY_FILE = "models/docs/glossary.md"
PREFIX = "term_"
# The zones whose columns a bare column name of a term matches.
ZONES = ("staging", "trusted", "quarantine", "marts")
PUBLIC_ZONE = "marts"
ML_ROLE = "ml_role"
# The fields of a term's list, as written in the docs block, and the attribute each fills.
FIELDS = {
    "owner": "owner",
    "synonyms": "synonyms",
    "columns": "columns",
    "metrics": "metrics",
    "models": "models",
}
MISSING = "glossary-missing-term"
BROKEN = "glossary-broken-link"
_HEAD = re.compile(r"^\s*\*\*(?P<name>[^*]+)\*\*\s*:\s*(?P<definition>.*)$", re.DOTALL)
_FIELD = re.compile(r"^-\s+(?P<field>[A-Za-z ]+?)\s*:\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Term:
    """One term as its docs block declares it."""

    id: str
    unique_id: str
    path: str
    name: str
    definition: str
    owner: str = ""
    synonyms: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Problem:
    """A glossary rule broken: which node, where, and what to do."""

    rule: str
    node: str
    path: str
    message: str


@dataclass
class Glossary:
    """The terms of a manifest and what each one is in the data."""

    terms: dict[str, Term]
    # (model unique_id, column) -> term id
    column_terms: dict[tuple[str, str], str]
    # metric unique_id -> term id
    metric_terms: dict[str, str]
    problems: list[Problem] = field(default_factory=list)


def _items(value: str) -> tuple[str, ...]:
    return tuple(item.strip().strip("`").strip() for item in value.split(",") if item.strip())


def parse_term(unique_id: str, name: str, path: str, text: str) -> Term | Problem:
    """A docs block's term, or the problem that keeps it from being one."""
    term_id = name[len(PREFIX) :]
    lines = text.strip().splitlines()
    head: list[str] = []
    fields: dict[str, tuple[str, ...] | str] = {}
    for line in lines:
        found = _FIELD.match(line.strip())
        if found is None:
            if fields and not line.strip():
                continue
            if fields:
                return Problem(
                    BROKEN,
                    unique_id,
                    path,
                    f"term {term_id}: text after its fields ({line.strip()[:40]!r}): keep the"
                    " definition above the list of fields",
                )
            head.append(line)
            continue
        key = found["field"].strip().lower()
        if key not in FIELDS:
            return Problem(
                BROKEN,
                unique_id,
                path,
                f"term {term_id}: unknown field {found['field']!r}: the fields are"
                f" {', '.join(name.capitalize() for name in FIELDS)}",
            )
        fields[FIELDS[key]] = found["value"].strip() if key == "owner" else _items(found["value"])
    headed = _HEAD.match("\n".join(head).strip())
    if headed is None:
        return Problem(
            BROKEN,
            unique_id,
            path,
            f"term {term_id}: no name: start the block with **Name**: definition",
        )
    definition = " ".join(headed["definition"].split())
    return Term(
        id=term_id,
        unique_id=unique_id,
        path=path,
        name=headed["name"].strip(),
        definition=definition,
        **fields,  # type: ignore[arg-type]
    )


def zone(node: dict) -> str | None:
    parts = PurePosixPath(node["original_file_path"]).parts
    return parts[1] if node["resource_type"] == "model" and len(parts) > 2 else None


def own_models(manifest: dict) -> dict[str, dict]:
    project = manifest["metadata"]["project_name"]
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node.get("package_name") == project
    }


def _own(manifest: dict, kind: str) -> dict[str, dict]:
    project = manifest["metadata"]["project_name"]
    return {
        uid: node
        for uid, node in manifest.get(kind, {}).items()
        if node.get("package_name") == project
    }


def _broken(term: Term, message: str) -> Problem:
    return Problem(BROKEN, term.unique_id, term.path, f"term {term.id}: {message}")


def load(manifest: dict) -> Glossary:
    """The terms of the manifest's docs blocks ``term_*``, their columns and metrics, and what
    in them names nothing that exists (broken links)."""
    problems: list[Problem] = []
    terms: dict[str, Term] = {}
    for uid, doc in sorted(_own(manifest, "docs").items()):
        if not doc["name"].startswith(PREFIX):
            continue
        parsed = parse_term(uid, doc["name"], doc["original_file_path"], doc["block_contents"])
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            terms[parsed.id] = parsed
    models = own_models(manifest)
    by_name = {node["name"]: uid for uid, node in models.items()}
    zoned = {uid: node for uid, node in models.items() if zone(node) in ZONES}
    groups = {group["name"] for group in manifest.get("groups", {}).values()}
    metrics = {node["name"]: uid for uid, node in _own(manifest, "metrics").items()}
    bare: dict[tuple[str, str], list[str]] = defaultdict(list)
    qualified: dict[tuple[str, str], list[str]] = defaultdict(list)
    metric_terms: dict[str, list[str]] = defaultdict(list)
    for term in terms.values():
        if term.owner not in groups:
            problems.append(
                _broken(
                    term,
                    f"owner {term.owner or '(none)'!r} is not a group: write '- Owner: <group>',"
                    f" one of {', '.join(sorted(groups))} (models/_groups.yml)",
                )
            )
        for entry in term.columns:
            model_name, _, column = entry.rpartition(".")
            if model_name:
                uid = by_name.get(model_name)
                if uid is None or column not in models[uid]["columns"]:
                    problems.append(
                        _broken(
                            term,
                            f"column {entry} does not exist: no model {model_name} declares"
                            f" a column {column} (fix the name, or remove it from the term)",
                        )
                    )
                    continue
                qualified[(uid, column)].append(term.id)
                continue
            holders = [uid for uid, node in zoned.items() if column in node["columns"]]
            if not holders:
                problems.append(
                    _broken(
                        term,
                        f"column {column} does not exist in any model of {', '.join(ZONES)}"
                        " (fix the name, or remove it from the term)",
                    )
                )
            for uid in holders:
                bare[(uid, column)].append(term.id)
        for metric in term.metrics:
            if metric not in metrics:
                problems.append(
                    _broken(term, f"metric {metric} does not exist (models/marts/semantic/)")
                )
            else:
                metric_terms[metrics[metric]].append(term.id)
        for model in term.models:
            if model not in by_name:
                problems.append(_broken(term, f"model {model} does not exist"))
    column_terms: dict[tuple[str, str], str] = {}
    for key in sorted(set(bare) | set(qualified)):
        claims = qualified.get(key) or bare[key]
        if len(set(claims)) > 1:
            uid, column = key
            problems.append(
                Problem(
                    BROKEN,
                    f"doc.{manifest['metadata']['project_name']}.{PREFIX}{claims[0]}",
                    terms[claims[0]].path,
                    f"column {models[uid]['name']}.{column} belongs to the terms"
                    f" {', '.join(sorted(set(claims)))}: keep it in one, or name it"
                    f" {models[uid]['name']}.{column} in the one it means",
                )
            )
        column_terms[key] = claims[0]
    one_term = {uid: claims[0] for uid, claims in metric_terms.items()}
    return Glossary(terms, column_terms, one_term, problems)


def _is_public_mart(node: dict) -> bool:
    access = node.get("access") or node["config"].get("access")
    return zone(node) == PUBLIC_ZONE and access == "public" and node["config"].get("enabled", True)


def ml_role(column: dict) -> str | None:
    meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
    return meta.get(ML_ROLE)


def _missing(manifest: dict, glossary: Glossary) -> Iterable[Problem]:
    for uid, node in sorted(own_models(manifest).items()):
        if not _is_public_mart(node):
            continue
        path = node.get("patch_path", "").split("://", 1)[-1] or node["original_file_path"]
        for column_name, column in node["columns"].items():
            if (uid, column_name) in glossary.column_terms:
                continue
            role = ml_role(column)
            what = f"ML {role} {column_name}" if role else f"public column {column_name}"
            yield Problem(
                MISSING,
                uid,
                path,
                f"{what} of {node['name']} has no glossary term: add {column_name} (or"
                f" {node['name']}.{column_name}) to the Columns of its term in {GLOSSARY_FILE},"
                " or define a new term there",
            )
    for uid, metric in sorted(_own(manifest, "metrics").items()):
        if uid not in glossary.metric_terms:
            yield Problem(
                MISSING,
                uid,
                metric["original_file_path"],
                f"metric {metric['name']} has no glossary term: add it to the Metrics of its"
                f" term in {GLOSSARY_FILE}, or define a new term there",
            )


def check(manifest: dict) -> list[Problem]:
    """The glossary's problems: terms naming what does not exist, then public mart columns,
    metrics and ML features without a term. Sorted."""
    glossary = load(manifest)
    return sorted([*glossary.problems, *_missing(manifest, glossary)])


_BLOCK = re.compile(
    r"\{%-?\s*docs\s+(?P<name>" + PREFIX + r"\w+)\s*-?%\}(?P<text>.*?)\{%-?\s*enddocs\s*-?%\}",
    re.DOTALL,
)


def read_terms(root: Path) -> list[Term]:
    """The terms of the project's glossary file, read without dbt (``dataops train``); a block
    that is no term is left out (``dataops check`` names it)."""
    path = root / GLOSSARY_FILE
    if not path.is_file():
        return []
    found = _BLOCK.finditer(path.read_text(encoding="utf-8"))
    parsed = (parse_term(f"doc.{m['name']}", m["name"], GLOSSARY_FILE, m["text"]) for m in found)
    return [term for term in parsed if isinstance(term, Term)]


def column_terms(terms: Iterable[Term], model: str, columns: Iterable[str]) -> dict[str, dict]:
    """The term of each of ``columns`` of the model named ``model`` (``model.column`` in a
    term wins over the bare name), as its id, name and definition; columns with none are
    left out."""
    qualified: dict[str, Term] = {}
    bare: dict[str, Term] = {}
    for term in terms:
        for entry in term.columns:
            owner, _, column = entry.rpartition(".")
            if owner == model:
                qualified.setdefault(column, term)
            elif not owner:
                bare.setdefault(column, term)
    named = {column: qualified.get(column) or bare.get(column) for column in columns}
    return {
        column: {"term": term.id, "name": term.name, "definition": term.definition}
        for column, term in named.items()
        if term is not None
    }
