"""The docs site's Glossary: each term, where it is used, and the term of each column.

``payload`` is what ``assets/glossary.js`` reads (``window.GLOSSARY``): the terms of
``glossary.load`` with, for each, its columns by zone (each one click from the column
lineage panel), its metrics, the saved queries that ask for them, the exposures that read
them (a metric, a model of the term, or a mart holding one of its columns), the ML
datasets that hold its columns and the role each plays for the model (feature, label), and
the measures, dimensions and entities of the semantic models that stand for it.
``columns`` maps ``<model unique_id>|<column>`` to its term, so that a model's page names
the term of each column. ``html`` is the page's style and scripts, inlined by ``docs.py``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from pathlib import Path

from dataops.catalog import glossary

log = logging.getLogger(__name__)

ASSETS = Path(__file__).parent.parent / "assets"
# The order the zones are listed in, from the files to the data products.
ZONE_ORDER = ("staging", "trusted", "quarantine", "marts")
SEMANTIC_KINDS = {"measures": "measure", "dimensions": "dimension", "entities": "entity"}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _depends(node: dict) -> set[str]:
    return set((node.get("depends_on") or {}).get("nodes") or [])


def _own(manifest: dict, kind: str) -> dict[str, dict]:
    project = manifest["metadata"]["project_name"]
    return {
        uid: node
        for uid, node in manifest.get(kind, {}).items()
        if node.get("package_name") == project
    }


def _saved_queries(manifest: dict, metric_names: set[str]) -> list[str]:
    found = []
    for uid, saved in _own(manifest, "saved_queries").items():
        asked = set((saved.get("query_params") or {}).get("metrics") or [])
        if asked & metric_names:
            found.append(uid)
    return sorted(found)


def semantic_terms(manifest: dict, loaded: glossary.Glossary) -> dict[str, list[str]]:
    """The semantic models' measures, dimensions and entities of each term: an element is the
    term of the metric of its name, or else of the columns its expression reads."""
    metric_term = {
        manifest["metrics"][uid]["name"]: term for uid, term in loaded.metric_terms.items()
    }
    found: dict[str, set[str]] = defaultdict(set)
    for semantic in _own(manifest, "semantic_models").values():
        model = next(iter(sorted(_depends(semantic))), "")
        for kind, label in SEMANTIC_KINDS.items():
            for element in semantic.get(kind) or []:
                name = f"{semantic['name']}.{element['name']} ({label})"
                if element["name"] in metric_term:
                    found[metric_term[element["name"]]].add(name)
                    continue
                read = _IDENTIFIER.findall(str(element.get("expr") or element["name"]).lower())
                for column in read:
                    term = loaded.column_terms.get((model, column))
                    if term:
                        found[term].add(name)
    return {term: sorted(names) for term, names in found.items()}


def uses(manifest: dict, loaded: glossary.Glossary) -> dict[str, dict]:
    """Where each term is used in the data: columns (by zone), metrics, saved queries,
    exposures, models, ML datasets and roles. Keyed by term id."""
    models = glossary.own_models(manifest)
    metrics = _own(manifest, "metrics")
    metric_ids = {node["name"]: uid for uid, node in metrics.items()}
    model_ids = {node["name"]: uid for uid, node in models.items()}
    exposures = _own(manifest, "exposures")
    semantic = semantic_terms(manifest, loaded)
    result: dict[str, dict] = {}
    for term in loaded.terms.values():
        columns = []
        ml: dict[str, str] = {}
        marts: set[str] = set()
        for (uid, column), term_id in sorted(loaded.column_terms.items()):
            if term_id != term.id:
                continue
            node = models[uid]
            node_zone = glossary.zone(node) or ""
            role = glossary.ml_role(node["columns"][column])
            columns.append(
                {
                    "model": uid,
                    "name": node["name"],
                    "zone": node_zone,
                    "column": column,
                    "role": role or "",
                }
            )
            if node_zone == glossary.PUBLIC_ZONE:
                marts.add(uid)
            if role:
                ml[column] = role
        rank = {name: index for index, name in enumerate(ZONE_ORDER)}
        columns.sort(key=lambda c: (rank.get(c["zone"], len(rank)), c["name"], c["column"]))
        term_metrics = sorted(metric_ids[name] for name in term.metrics if name in metric_ids)
        term_models = sorted(model_ids[name] for name in term.models if name in model_ids)
        saved = _saved_queries(manifest, set(term.metrics))
        reads = set(term_metrics) | set(term_models) | marts
        result[term.id] = {
            "columns": columns,
            "metrics": [metrics[uid]["name"] for uid in term_metrics],
            "semantic": semantic.get(term.id, []),
            "saved_queries": [uid.rsplit(".", 1)[-1] for uid in saved],
            "exposures": sorted(
                node["name"] for node in exposures.values() if _depends(node) & reads
            ),
            "models": [models[uid]["name"] for uid in term_models],
            "ml_datasets": sorted(
                {c["name"] for c in columns if c["name"].startswith("ml_delay_")}
                | {name for name in term.models if name.startswith("ml_")}
            ),
            "ml_roles": sorted(set(ml.values())),
        }
    return result


def payload(manifest: dict) -> dict:
    """What the Glossary page reads: the terms, where each is used, and each column's term."""
    loaded = glossary.load(manifest)
    used = uses(manifest, loaded)
    terms = [
        {
            "id": term.id,
            "name": term.name,
            "definition": term.definition,
            "owner": term.owner,
            "synonyms": list(term.synonyms),
            **used[term.id],
        }
        for term in sorted(loaded.terms.values(), key=lambda t: t.name.lower())
    ]
    columns = {f"{uid}|{column}": term for (uid, column), term in loaded.column_terms.items()}
    return {"terms": terms, "columns": columns}


def html(manifest: dict) -> str:
    """The Glossary's style, data and script, to inline before ``</body>`` of the docs page."""
    data = json.dumps(payload(manifest), separators=(",", ":"))
    style = (ASSETS / "glossary.css").read_text(encoding="utf-8")
    script = (ASSETS / "glossary.js").read_text(encoding="utf-8")
    code = f"window.GLOSSARY = {data};\n{script}"
    return "<style>" + style + "</style><script>" + code.replace("</", "<\\/") + "</script>"
