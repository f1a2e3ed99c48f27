"""What each asset check verifies, in words: the dbt test's description, or one made from it.

Dagster shows a check's description beside its result. A dbt test documented in its
YAML (``description:``) or a singular test's properties keeps its own words; a generic
test is described from its name and arguments (``not_null`` on ``flight_id``: "`flight_id`
is never null"). Tests that warn rather than block say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")


def _listed(values: Any) -> str:
    if isinstance(values, list | tuple):
        return ", ".join(str(value) for value in values)
    return str(values)


def _relation(value: Any) -> str:
    found = REF.search(str(value))
    return f"`{found.group(1) if found else value}`"


def _range(column: str, kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"{column} is between {low} and {high}"
    if low is not None:
        return f"{column} is at least {low}"
    return f"{column} is at most {high}"


# name of the generic test -> its sentence, from the column (or the model) and the arguments
PHRASES: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    "not_null": lambda column, _: f"{column} is never null",
    "unique": lambda column, _: f"{column} is unique",
    "accepted_values": lambda column, kw: f"{column} is one of {_listed(kw.get('values'))}",
    "relationships": lambda column, kw: (
        f"every {column} is a {kw.get('field')} of {_relation(kw.get('to'))}"
    ),
    "accepted_range": _range,
    "unique_combination_of_columns": lambda _, kw: (
        f"no two rows share ({_listed(kw.get('combination_of_columns'))})"
    ),
    "expression_is_true": lambda _, kw: f"every row satisfies: {kw.get('expression')}",
    "has_no_rows": lambda model, _: f"{model} has no rows",
    "volume_anomaly": lambda model, _: f"the daily row count of {model} is not anomalous",
    "freshness_anomaly": lambda model, _: f"the data of {model} is not anomalously late",
    "column_anomalies": lambda column, kw: (
        f"the daily {_listed(kw.get('metrics'))} of {column} is not anomalous"
    ),
    "schema_change": lambda model, _: f"the columns of {model} did not change",
}


def _model(test: Mapping[str, Any]) -> str:
    attached = test.get("attached_node") or ""
    if attached:
        return str(attached).rsplit(".", 1)[-1]
    nodes = test.get("depends_on", {}).get("nodes", [])
    return str(nodes[0]).rsplit(".", 1)[-1] if nodes else "the model"


def describe(test: Mapping[str, Any]) -> str:
    """One line saying what a dbt test checks (and, for a warning, that it does not block)."""
    own = " ".join(str(test.get("description") or "").split())
    metadata = test.get("test_metadata") or {}
    if own:
        sentence = own
    elif metadata:
        name = str(metadata.get("name"))
        kwargs = {
            key: value
            for key, value in (metadata.get("kwargs") or {}).items()
            if key not in ("model", "column_name")
        }
        column = test.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
        subject = f"`{column}`" if column else f"`{_model(test)}`"
        phrase = PHRASES.get(name)
        if phrase is not None:
            sentence = phrase(subject, kwargs)
        else:
            arguments = ", ".join(f"{key}={value}" for key, value in sorted(kwargs.items()))
            sentence = f"{name} on {subject}" + (f" ({arguments})" if arguments else "")
        sentence = sentence[:1].upper() + sentence[1:] + f" (dbt test {name})."
    else:
        sentence = f"The singular dbt test {test.get('original_file_path') or test.get('name')}."
    severity = str((test.get("config") or {}).get("severity") or "error").lower()
    if severity == "warn":
        sentence += " Warns; does not block a publish."
    return sentence
