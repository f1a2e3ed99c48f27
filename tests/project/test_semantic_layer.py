"""The semantic layer (models/marts/semantic/): MetricFlow's figures are the marts' figures.

Three days of real data (``built_days``: 2013-01-01..03 built on the ci target)
queried through MetricFlow's Python API, the engine behind ``mf query``: the
semantic manifest the build wrote, the dbt adapter of the ci target. Each saved
query of the on-time dashboard, at its performance mart's grain, must return
the mart's rows: the same keys, and for every metric the mart's column of the
same name (counts exactly, rates and averages to a relative 1e-12: both divide
the same integers, only the order of the additions may differ).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from dataops.catalog import yaml_schemas
from dataops.core.dbt import _release_duckdb, dbt_environment

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
FLOAT_TOLERANCE = 1e-12

# Saved query -> (its performance mart, MetricFlow's group-by column -> the mart's column).
GRAINS: dict[str, tuple[str, dict[str, str]]] = {
    "on_time_performance_by_airline_month": (
        "mart_performance__airlines",
        {
            "metric_time__month": "month_start_date",
            "airline": "airline_id",
            "airline__airline_name": "airline_name",
        },
    ),
    "on_time_performance_by_route_month": (
        "mart_performance__routes",
        {
            "metric_time__month": "month_start_date",
            "origin_airport": "origin_airport_id",
            "destination_airport": "destination_airport_id",
        },
    ),
    "on_time_performance_by_airport_day": (
        "mart_performance__airports",
        {"metric_time__day": "flight_date", "origin_airport": "origin_airport_id"},
    ),
    "on_time_performance_by_day": (
        "mart_performance__days",
        {
            "metric_time__day": "flight_date",
            "calendar_day__day_of_week_number": "day_of_week_number",
            "calendar_day__is_weekend": "is_weekend",
        },
    ),
}

# A metric with no column in its mart is compared with the same figure counted
# from the facts at the mart's grain.
FROM_FACTS = {
    "flights_with_origin_weather": "count(*) filter (where has_origin_weather)",
}


@dataclass
class SemanticLayer:
    """MetricFlow on the ci warehouse of ``built_days``."""

    client: object
    manifest: dict

    def engine(self, manifest: dict | None = None) -> object:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        parsed = parse_manifest_from_dbt_generated_manifest(json.dumps(manifest or self.manifest))
        return MetricFlowEngine(SemanticManifestLookup(parsed), self.client)

    def saved_query(self, name: str, manifest: dict | None = None) -> list[dict]:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        result = self.engine(manifest).query(MetricFlowQueryRequest.create(saved_query_name=name))
        return _rows(result.result_df)

    def select(self, sql: str) -> list[dict]:
        return _rows(self.client.query(sql))


def _rows(table: object) -> list[dict]:
    names = [name.lower() for name in table.column_names]
    return [dict(zip(names, row, strict=True)) for row in table.rows]


def _key_value(value: object) -> object:
    """Dates come back as midnight datetimes from MetricFlow; compare them as dates."""
    if isinstance(value, datetime) and value == datetime.combine(value.date(), datetime.min.time()):
        return value.date()
    return value


def _same(actual: object, expected: object) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(actual, float) or isinstance(expected, float):
        return math.isclose(actual, expected, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return actual == expected


def differences(
    actual: Sequence[Mapping],
    expected: Sequence[Mapping],
    keys: Mapping[str, str],
    metrics: Sequence[str],
) -> list[str]:
    """Every row and value where MetricFlow's rows differ from the mart's."""

    def index(rows: Sequence[Mapping], columns: Sequence[str]) -> dict[tuple, Mapping]:
        return {tuple(_key_value(row[column]) for column in columns): row for row in rows}

    by_key = index(actual, list(keys))
    mart_by_key = index(expected, list(keys.values()))
    found = [f"only in MetricFlow: {key}" for key in sorted(by_key.keys() - mart_by_key.keys())]
    found += [f"only in the mart: {key}" for key in sorted(mart_by_key.keys() - by_key.keys())]
    for key in sorted(by_key.keys() & mart_by_key.keys()):
        for metric in metrics:
            value, mart_value = by_key[key][metric], mart_by_key[key][metric]
            if not _same(value, mart_value):
                found.append(f"{key} {metric}: MetricFlow {value!r}, mart {mart_value!r}")
    return found


def saved_query_metrics(manifest: dict, name: str) -> list[str]:
    (saved,) = [query for query in manifest["saved_queries"] if query["name"] == name]
    return list(saved["query_params"]["metrics"])


def expected_rows(layer: SemanticLayer, name: str) -> list[dict]:
    """The mart's rows, with the figures it lacks counted from the facts at its grain."""
    mart, keys = GRAINS[name]
    extra = [metric for metric in saved_query_metrics(layer.manifest, name) if metric in FROM_FACTS]
    if not extra:
        return layer.select(f"select * from marts.{mart}")
    # The grain's columns are columns of fct_flights too (origin_airport_id, flight_date).
    columns = ", ".join(keys.values())
    figures = ", ".join(f"{FROM_FACTS[metric]} as {metric}" for metric in extra)
    return layer.select(
        f"select mart.*, {', '.join(f'facts.{metric}' for metric in extra)} "
        f"from marts.{mart} as mart "
        f"left join (select {columns}, {figures} from marts.fct_flights group by {columns})"
        f" as facts using ({columns})"
    )


@pytest.fixture(scope="module")
def semantic_layer(
    built_days: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SemanticLayer]:
    """MetricFlow's SQL client on the ci target: the dbt adapter ``mf`` sets up."""
    from dbt.adapters.factory import get_adapter_by_type
    from dbt_metricflow.cli.dbt_connectors.adapter_backed_client import AdapterBackedSqlClient
    from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtProjectMetadata

    project = built_days["project"]
    manifest = json.loads((built_days["target_dir"] / "semantic_manifest.json").read_text())
    scratch = tmp_path_factory.mktemp("metricflow")
    monkeypatch = pytest.MonkeyPatch()
    # dbt's log and artefacts of the `dbt debug` MetricFlow runs, out of the checkout.
    monkeypatch.setenv("DBT_LOG_PATH", str(scratch / "logs"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(scratch / "target"))
    try:
        with dbt_environment(project, "ci"):
            metadata = dbtProjectMetadata.load_from_paths(
                profiles_path=project.root, project_path=project.root
            )
            adapter = get_adapter_by_type(metadata.profile.credentials.type)
            yield SemanticLayer(AdapterBackedSqlClient(adapter), manifest)
    finally:
        _release_duckdb()
        monkeypatch.undo()


def test_semantic_manifest_is_valid_against_the_warehouse(semantic_layer: SemanticLayer) -> None:
    """What `mf validate-configs` checks: the semantics, then every semantic model,
    dimension, entity, measure and metric queried on the warehouse."""
    from metricflow.validation.data_warehouse_model_validator import (
        DataWarehouseModelValidator,
    )
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(semantic_layer.manifest))
    semantic = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not semantic.has_blocking_issues, [issue.as_readable_str() for issue in semantic.errors]
    validator = DataWarehouseModelValidator(sql_client=semantic_layer.client)
    for check in (
        validator.validate_semantic_models,
        validator.validate_dimensions,
        validator.validate_entities,
        validator.validate_simple_metrics,
        validator.validate_metrics,
    ):
        results = check(manifest)
        assert not results.has_blocking_issues, [
            issue.as_readable_str() for issue in results.errors
        ]
    assert manifest.project_configuration.time_spines[0].node_relation.alias == "dim_dates"


@pytest.mark.parametrize("name", list(GRAINS))
def test_saved_query_equals_its_performance_mart(semantic_layer: SemanticLayer, name: str) -> None:
    mart, keys = GRAINS[name]
    rows = semantic_layer.saved_query(name)
    expected = expected_rows(semantic_layer, name)
    assert rows and len(expected) == len(rows), f"{mart}: {len(expected)} rows, MF {len(rows)}"
    metrics = saved_query_metrics(semantic_layer.manifest, name)
    assert differences(rows, expected, keys, metrics) == []


def test_every_on_time_figure_is_a_metric_of_a_saved_query(semantic_layer: SemanticLayer) -> None:
    """The marts' figures and the issue's metrics are all defined, and all queried above."""
    manifest = semantic_layer.manifest
    queried = {metric for name in GRAINS for metric in saved_query_metrics(manifest, name)}
    defined = {metric["name"] for metric in manifest["metrics"]}
    figures = {
        "scheduled_flights",
        "cancelled_flights",
        "diverted_flights",
        "completed_flights",
        "on_time_arrivals",
        "on_time_departures",
        "on_time_arrival_rate",
        "cancellation_rate",
        "average_departure_delay_minutes",
        "average_arrival_delay_minutes",
        "flights_with_origin_weather",
    }
    assert figures <= queried == defined


def test_a_metric_defined_wrong_differs_from_the_mart(semantic_layer: SemanticLayer) -> None:
    """The comparison catches a wrong definition: the on-time rate over every
    scheduled flight (cancelled ones included) instead of the completed ones."""
    wrong = copy.deepcopy(semantic_layer.manifest)
    (rate,) = [metric for metric in wrong["metrics"] if metric["name"] == "on_time_arrival_rate"]
    rate["type_params"]["denominator"]["name"] = "scheduled_flights"
    name = "on_time_performance_by_day"
    rows = semantic_layer.saved_query(name, manifest=wrong)
    found = differences(
        rows, expected_rows(semantic_layer, name), GRAINS[name][1], ["on_time_arrival_rate"]
    )
    assert found and all("on_time_arrival_rate" in line for line in found)


def test_dashboard_exposure_depends_on_the_metrics_and_the_marts(built_days: dict) -> None:
    manifest = json.loads((built_days["target_dir"] / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.nycflights.on_time_performance_dashboard"]
    saved_queries = {node["name"]: node for node in manifest["saved_queries"].values()}
    assert set(saved_queries) == set(GRAINS)
    saved = {
        metric for query in saved_queries.values() for metric in query["query_params"]["metrics"]
    }
    assert set(exposure["depends_on"]["nodes"]) == {
        *(f"model.nycflights.{mart}" for mart, _ in GRAINS.values()),
        *(f"metric.nycflights.{metric}" for metric in saved),
    }


def test_the_semantic_yaml_passes_dbt_schema_and_a_misspelt_key_does_not(
    tmp_path: Path,
) -> None:
    """The pre-commit schema check accepts the metrics as dbt-core 1.11 reads them
    (with ``type_params``) and still refuses a key dbt does not know."""
    semantic = sorted((ROOT / "models" / "marts" / "semantic").glob("*.yml"))
    assert len(semantic) == 3
    assert yaml_schemas.main(["resources", *map(str, semantic)]) == 0
    flights = (ROOT / "models" / "marts" / "semantic" / "flights.yml").read_text("utf-8")
    misspelt = tmp_path / "misspelt.yml"
    misspelt.write_text(flights.replace("    label: Cancellation rate", "    lable: x"), "utf-8")
    assert yaml_schemas.main(["resources", str(misspelt)]) == 1
