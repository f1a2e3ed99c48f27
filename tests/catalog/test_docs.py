"""The docs: one offline file with the column lineage, and 100% description coverage."""

from __future__ import annotations

import copy

import pytest

from dataops.catalog import coverage, docs, lineage
from dataops.core.errors import DataOpsError

pytestmark = pytest.mark.e2e

FCT = "model.nycflights.fct_flights"
FLIGHTS_FILES = "source.nycflights.flights.flights"
WEATHER_FILES = "source.nycflights.weather.observations"


def test_every_model_and_snapshot_is_traced(
    artefacts: tuple[dict, dict], traced: lineage.ColumnLineage
) -> None:
    manifest, _catalog = artefacts
    built = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot")
    }
    assert built <= set(traced.columns)
    assert traced.unparsed == {}


def test_mart_columns_reach_the_landing_files(traced: lineage.ColumnLineage) -> None:
    # renamed, cast and joined on the way: carrier -> airline_id in staging and trusted
    assert (FLIGHTS_FILES, "carrier") in traced.ancestors((FCT, "airline_id"))
    assert traced.upstream[(FCT, "airline_id")] == {
        ("model.nycflights.trusted_flights", "airline_id")
    }
    # a column joined in from another source: the weather at the origin
    wind = traced.ancestors((FCT, "origin_wind_speed_mph"))
    assert (WEATHER_FILES, "wind_speed") in wind
    assert not any(uid == FLIGHTS_FILES for uid, _column in wind)
    # an expression over several file columns
    sources = {key for key in traced.ancestors((FCT, "flight_date")) if key[0] == FLIGHTS_FILES}
    assert sources == {(FLIGHTS_FILES, "year"), (FLIGHTS_FILES, "month"), (FLIGHTS_FILES, "day")}
    # through a `select *` (ml_delay_train selects * from ml_delay_features)
    label = traced.ancestors(("model.nycflights.ml_delay_train", "is_arrival_delayed"))
    assert ("model.nycflights.ml_delay_features", "is_arrival_delayed") in label
    assert (FLIGHTS_FILES, "arr_delay") in label
    # through a snapshot: the validity of a plane version comes from the extract's receipt
    valid_from = traced.ancestors(("model.nycflights.dim_planes_history", "valid_from"))
    assert ("snapshot.nycflights.snapshot_planes", "_received_at") in valid_from


def test_docs_file_holds_the_lineage_and_no_broken_reference(built_days: dict) -> None:
    html = built_days["docs"].path.read_text()
    assert "window.COLUMN_LINEAGE" in html and "window.drawDag" in html
    assert "${require(" not in html
    assert '<use xlink:href="{{' not in html


def test_the_project_is_fully_described(artefacts: tuple[dict, dict]) -> None:
    result = coverage.check(*artefacts)
    assert result.missing == []
    assert result.total > 800


def test_coverage_check_fires_on_a_missing_description(artefacts: tuple[dict, dict]) -> None:
    manifest, catalog = artefacts
    changed = copy.deepcopy(manifest)
    changed["nodes"][FCT]["columns"]["airline_id"]["description"] = ""
    changed["macros"]["macro.nycflights.hash_bucket"]["description"] = " "
    # a column the warehouse holds but the YAML does not declare
    del changed["nodes"]["model.nycflights.dim_dates"]["columns"]["is_weekend"]
    # the semantic layer: a metric and a measure of the flights semantic model
    changed["metrics"]["metric.nycflights.cancellation_rate"]["description"] = ""
    flights = changed["semantic_models"]["semantic_model.nycflights.flights"]
    cancelled = next(m for m in flights["measures"] if m["name"] == "cancelled_flights")
    cancelled["description"] = None
    result = coverage.check(changed, catalog)
    assert result.missing == [
        "macro.nycflights.hash_bucket",
        "metric.nycflights.cancellation_rate",
        "model.nycflights.dim_dates.is_weekend (in the warehouse)",
        f"{FCT}.airline_id",
        "semantic_model.nycflights.flights.cancelled_flights",
    ]
    assert result.percent < 100
    with pytest.raises(DataOpsError, match="description coverage"):
        docs.require_full_coverage(result)
