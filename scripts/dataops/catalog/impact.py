"""What a change of a column affects downstream: columns, metrics, saved queries, exposures.

The column lineage (``lineage.py``) gives each column's direct upstream columns;
read the other way it gives the columns computed from a column. The manifest
adds the consumers that are not columns:

- a semantic model's measures, dimensions and entities are SQL expressions over
  its model's columns (``expr``, or the element's name when there is none); a
  metric uses the columns of its measures, with the measure's time dimension
  (it places every row in ``metric_time``), and of the dimensions and entities
  its filters name (``{{ Dimension('flight__is_cancelled') }}``); a metric built
  on other metrics (ratio, derived) uses what they use;
- a saved query uses its metrics and the dimensions of its group-by and filters;
- an exposure uses every column of the models it depends on, and the metrics and
  saved queries it names.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dataops.catalog.lineage import DIALECT, ColumnKey, ColumnLineage

log = logging.getLogger(__name__)

# A reference to a semantic element in a filter or a group-by, e.g.
# Dimension('flight__airline_id'), TimeDimension('metric_time', 'month'), Entity('route').
REFERENCE = re.compile(r"\b(Dimension|TimeDimension|Entity)\(\s*['\"]([^'\"]+)['\"]")
KINDS = {"metric": "metric", "saved_query": "saved query", "exposure": "exposure"}


@dataclass
class Impact:
    """Direct consumers of columns, and the consumers of each consumer."""

    consumers: dict[str, dict[str, str]] = field(default_factory=dict)
    uses: dict[ColumnKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    feeds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True)
class Downstream:
    """Everything a change of one column can change."""

    columns: set[ColumnKey]
    consumers: set[str]


@dataclass
class _Semantic:
    """The columns behind each semantic element, by semantic model name."""

    model_of: dict[str, str] = field(default_factory=dict)
    dimensions: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    entities: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    measures: dict[str, tuple[str, set[str]]] = field(default_factory=dict)


def _expr_columns(expr: object, name: str, columns: list[str]) -> set[str]:
    """The model columns a semantic element's SQL expression reads (``expr: 1`` none)."""
    known = set(columns)
    if expr is None or not str(expr).strip():
        return {name.lower()} & known
    expr = str(expr)
    try:
        found = {
            column.name.lower()
            for column in sqlglot.parse_one(expr, dialect=DIALECT).find_all(exp.Column)
        }
    except SqlglotError:
        found = {word.lower() for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)}
    return found & known


def _semantic(manifest: dict, traced: ColumnLineage) -> _Semantic:
    found = _Semantic()
    for semantic_model in manifest.get("semantic_models", {}).values():
        name = semantic_model["name"]
        models = semantic_model.get("depends_on", {}).get("nodes", [])
        if not models:
            continue
        model_id = models[0]
        columns = traced.columns.get(model_id, [])
        found.model_of[name] = model_id
        for dimension in semantic_model.get("dimensions", []):
            key = (name, dimension["name"])
            found.dimensions[key] = _expr_columns(dimension.get("expr"), dimension["name"], columns)
        for entity in semantic_model.get("entities", []):
            key = (name, entity["name"])
            found.entities[key] = _expr_columns(entity.get("expr"), entity["name"], columns)
        default_time = (semantic_model.get("defaults") or {}).get("agg_time_dimension")
        for measure in semantic_model.get("measures", []):
            used = _expr_columns(measure.get("expr"), measure["name"], columns)
            time_dimension = measure.get("agg_time_dimension") or default_time
            if time_dimension:
                used |= found.dimensions.get((name, time_dimension), set())
            found.measures[measure["name"]] = (name, used)
    return found


def _references(value: object) -> list[tuple[str, str]]:
    """(kind, name) of every semantic reference in the filters and group-bys of a node."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


def _referenced_columns(
    semantic: _Semantic, references: list[tuple[str, str]], context: set[str]
) -> set[ColumnKey]:
    """Columns behind the referenced dimensions and entities; ``context``: the semantic
    models of the consumer's measures, whose entity joins to the dimension's model."""
    found: set[ColumnKey] = set()
    for kind, name in references:
        parts = name.lower().split("__")
        if parts == ["metric_time"]:
            continue  # the measures' time dimension, already counted
        entity = parts[-1] if kind == "Entity" else (parts[-2] if len(parts) > 1 else None)
        homes = set(context)
        if kind != "Entity":
            for (model, dimension), columns in semantic.dimensions.items():
                has_entity = entity is None or (model, entity) in semantic.entities
                if dimension == parts[-1] and has_entity:
                    found |= {(semantic.model_of[model], column) for column in columns}
                    homes.add(model)
        for model in homes if entity else ():
            for column in semantic.entities.get((model, entity), set()):
                found.add((semantic.model_of[model], column))
    return found


def compute(manifest: dict, traced: ColumnLineage) -> Impact:
    """The metrics, saved queries and exposures of the manifest and what each uses."""
    semantic = _semantic(manifest, traced)
    result = Impact()
    metric_ids = {metric["name"]: uid for uid, metric in manifest.get("metrics", {}).items()}
    measure_models: dict[str, set[str]] = {}
    for uid, metric in manifest.get("metrics", {}).items():
        result.consumers[uid] = _consumer(metric, "metric")
        inputs = [
            p for p in metric.get("depends_on", {}).get("nodes", []) if p in metric_ids.values()
        ]
        for parent in inputs:
            result.feeds[parent].add(uid)
        type_params = metric.get("type_params") or {}
        measures = [m["name"] for m in type_params.get("input_measures") or []]
        measures += [(type_params.get("measure") or {}).get("name")]
        models: set[str] = set()
        for measure in filter(None, measures):
            if measure not in semantic.measures:
                continue
            model, columns = semantic.measures[measure]
            models.add(model)
            if not inputs:
                for column in columns:
                    result.uses[(semantic.model_of[model], column)].add(uid)
        measure_models[uid] = models
        for key in _referenced_columns(semantic, _references(metric), models):
            result.uses[key].add(uid)
    for uid, saved in manifest.get("saved_queries", {}).items():
        result.consumers[uid] = _consumer(saved, "saved_query")
        params = saved.get("query_params") or {}
        models = set()
        for name in params.get("metrics", []):
            if name in metric_ids:
                result.feeds[metric_ids[name]].add(uid)
                models |= measure_models.get(metric_ids[name], set())
        for key in _referenced_columns(semantic, _references(params), models):
            result.uses[key].add(uid)
    for uid, exposure in manifest.get("exposures", {}).items():
        result.consumers[uid] = _consumer(exposure, "exposure")
        for parent in exposure.get("depends_on", {}).get("nodes", []):
            if parent in result.consumers:
                result.feeds[parent].add(uid)
            for column in traced.columns.get(parent, []):
                result.uses[(parent, column)].add(uid)
    return result


def _consumer(node: dict, kind: str) -> dict[str, str]:
    return {"name": node["name"], "kind": KINDS[kind], "label": node.get("label") or node["name"]}


def downstream_columns(traced: ColumnLineage) -> dict[ColumnKey, set[ColumnKey]]:
    """Each column -> the columns computed directly from it."""
    children: dict[ColumnKey, set[ColumnKey]] = defaultdict(set)
    for child, parents in traced.upstream.items():
        for parent in parents:
            children[parent].add(child)
    return children


def downstream(traced: ColumnLineage, impact: Impact, key: ColumnKey) -> Downstream:
    """Every column, metric, saved query and exposure computed from ``key``, transitively."""
    children = downstream_columns(traced)
    columns: set[ColumnKey] = set()
    stack = [key]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in columns:
                columns.add(child)
                stack.append(child)
    consumers: set[str] = set()
    pending = [uid for column in {key, *columns} for uid in impact.uses.get(column, ())]
    while pending:
        uid = pending.pop()
        if uid not in consumers:
            consumers.add(uid)
            pending.extend(impact.feeds.get(uid, ()))
    return Downstream(columns=columns, consumers=consumers)
