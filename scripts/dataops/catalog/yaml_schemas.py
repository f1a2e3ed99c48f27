"""The project's YAML checked against dbt's own JSON schemas, with check-jsonschema.

dbt-core ships the schemas it validates its files with (``dbt.jsonschemas``:
one for ``dbt_project.yml``, one for the property files under ``models/``,
``seeds/``, ``snapshots/``, ``macros/``...). They name every key dbt knows, so a
misspelt key, a key at the wrong level or a value outside its list (``severity:
warn`` for ``Warn``) is refused before dbt ever reads the file.

One adaptation, the one dbt's own editor schemas (dbt-labs/dbt-jsonschema,
``boolean_or_jinja_string``) make: dbt renders a value that is a whole Jinja
expression (``"{{ target.type == 'duckdb' }}"``) before it reads it, so where the
schema expects a boolean or one of a list of strings, such an expression is
accepted too. It is how a configuration differs between DuckDB and Spark
(``+enabled``, ``+store_failures``, ``+incremental_strategy``); a value that is
not a Jinja expression is checked as dbt's schema says.

Usage (a pre-commit hook): ``python -m dataops.catalog.yaml_schemas project|resources FILE...``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataops.core.errors import DataOpsError

log = logging.getLogger(__name__)

# A string that is one Jinja expression, which dbt renders before it types the value.
JINJA_EXPRESSION = {"type": "string", "pattern": r"^\s*\{\{.*\}\}\s*$"}


def dbt_schema(kind: str) -> dict[str, Any]:
    """The JSON schema dbt-core validates ``dbt_project.yml`` (``project``) or the
    property files (``resources``) with."""
    from dbt.jsonschemas import jsonschemas

    loaders = {"project": jsonschemas.project_schema, "resources": jsonschemas.resources_schema}
    if kind not in loaders:
        raise DataOpsError(
            f"unknown schema {kind!r}", "use 'project' (dbt_project.yml) or 'resources'"
        )
    return loaders[kind]()


def _accepts_jinja(node: dict[str, Any]) -> bool:
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if "boolean" in types:
        return True
    enum = node.get("enum")
    if enum:
        return all(isinstance(value, str) for value in enum)
    # one of several lists (an incremental strategy): the Jinja string is accepted
    # once, by the whole choice, or oneOf would find it matches several branches
    return any(_accepts_jinja(branch) for branch in node.get("oneOf", []))


def with_jinja_expressions(schema: Any, wrap: bool = True) -> Any:
    """``schema`` where every boolean and every list of strings also accepts a Jinja
    expression; everything else unchanged."""
    if isinstance(schema, list):
        return [with_jinja_expressions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    adapted = {
        key: (
            [with_jinja_expressions(branch, wrap=False) for branch in value]
            if key == "oneOf"
            else with_jinja_expressions(value)
        )
        for key, value in schema.items()
    }
    if wrap and _accepts_jinja(schema):
        keep = {key: adapted.pop(key) for key in ("default", "description") if key in adapted}
        return {**keep, "anyOf": [adapted, JINJA_EXPRESSION]}
    return adapted


def with_metric_type_params(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` where a metric may carry ``type_params``.

    dbt-core 1.11 reads the semantic layer's metrics with their ``type_params``
    (``measure``, ``numerator``, ``denominator``), the only form it parses; its
    resources schema describes the later form without them, and dbt-core skips
    ``type_params`` when it validates a file against it (``jsonschema_validate``).
    ``dbt parse`` checks their content.
    """
    definitions = schema.get("definitions", {})
    metric = definitions.get("MetricsProperties")
    if metric is None:
        return schema
    properties = {**metric.get("properties", {}), "type_params": {"type": "object"}}
    definitions = {**definitions, "MetricsProperties": {**metric, "properties": properties}}
    return {**schema, "definitions": definitions}


def check(kind: str, files: Sequence[Path]) -> int:
    """check-jsonschema over ``files`` with dbt's ``kind`` schema; its exit status."""
    if importlib.util.find_spec("check_jsonschema") is None:
        raise DataOpsError(
            "check-jsonschema is not installed",
            "install the development dependencies: pip install -e '.[dev]'",
        )
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise DataOpsError(
            f"no such file: {', '.join(missing)}", "name YAML files that exist (a path per file)"
        )
    with tempfile.TemporaryDirectory(prefix="dbt-jsonschema-") as folder:
        schemafile = Path(folder) / f"dbt_{kind}.json"
        schema = with_metric_type_params(with_jinja_expressions(dbt_schema(kind)))
        schemafile.write_text(json.dumps(schema), "utf-8")
        checker = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schemafile)]
        command = [*checker, *map(str, files)]
        return subprocess.run(command, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    kind, *files = sys.argv[1:] if argv is None else argv
    if not files:
        return 0
    try:
        return check(kind, [Path(name) for name in files])
    except DataOpsError as error:
        print(f"error: {error.reason}\n  {error.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
