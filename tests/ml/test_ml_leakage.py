"""Leakage: the model reads only what is known before departure.

The column lineage of the project (sqlglot over dbt's compiled SQL, as the docs
compute it) is traced from every column of ``marts.ml_delay_features`` down to
the landing files: none but the label may come from an outcome of the flight
(a delay, an actual time, the air time, a cancellation or diversion). The check
is shown to catch an outcome added to the features, and the trainer refuses an
outcome among its feature names.
"""

from __future__ import annotations

import copy
import json

import pytest

from dataops.catalog import lineage
from dataops.core.errors import DataOpsError
from dataops.ml import features, train
from dataops.ml.settings import load
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

MODEL = features.FEATURES_MODEL


@pytest.fixture(scope="module")
def project_lineage(built_days: dict) -> tuple[dict, dict]:
    target = built_days["target_dir"]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    return manifest, catalog


def test_no_feature_is_computed_from_an_outcome(project_lineage: tuple[dict, dict]) -> None:
    manifest, catalog = project_lineage
    traced = lineage.compute(manifest, catalog)
    columns = traced.columns[MODEL]
    assert set(features.FEATURES) <= set(columns)
    assert features.outcome_ancestors(traced) == {}
    # the lineage reaches the landing files: the features come from their columns
    weather = traced.ancestors((MODEL, "origin_temperature_fahrenheit"))
    assert any(column == "temp" for _node, column in weather)
    # and the label, the one outcome by design, is seen as one down to the file's arr_delay
    label = traced.ancestors((MODEL, features.LABEL))
    assert ("source.nycflights.flights.flights", "arr_delay") in label


def test_an_outcome_added_to_the_features_is_caught(project_lineage: tuple[dict, dict]) -> None:
    """The features model with one more column, the departure delay under another name."""
    manifest, catalog = copy.deepcopy(project_lineage)
    node = manifest["nodes"][MODEL]
    marker = "flights.distance_miles,"
    assert marker in node["compiled_code"]
    node["compiled_code"] = node["compiled_code"].replace(
        marker, f"{marker}\n        flights.departure_delay_minutes as pushback_minutes,", 1
    )
    catalog["nodes"][MODEL]["columns"]["pushback_minutes"] = {
        "name": "pushback_minutes",
        "type": "INTEGER",
        "index": 99,
    }
    leaks = features.outcome_ancestors(lineage.compute(manifest, catalog))
    assert set(leaks) == {"pushback_minutes"}
    assert ("model.nycflights.fct_flights", "departure_delay_minutes") in leaks["pushback_minutes"]


def test_the_trainer_refuses_an_outcome_among_its_features(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for outcome in ("departure_delay_minutes", "air_time_minutes", "arrived_at", "is_cancelled"):
        with pytest.raises(DataOpsError, match=outcome):
            features.check_features((*features.FEATURES, outcome))
    features.check_features()
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, "arrival_delay_minutes"))
    settings = load(ROOT)
    with pytest.raises(DataOpsError, match="outcomes of the flight: arrival_delay_minutes"):
        train.fit_and_evaluate(None, None, settings)  # refused before any row is read


def test_the_python_models_lineage_ties_columns_by_name(
    project_lineage: tuple[dict, dict],
) -> None:
    traced = lineage.compute(*project_lineage)
    predictions = "model.nycflights.ml_delay_predictions"
    assert predictions not in traced.unparsed
    assert traced.upstream[(predictions, "flight_id")] == {(MODEL, "flight_id")}
    assert traced.upstream[(predictions, "flight_date")] == {(MODEL, "flight_date")}
    # the probability is computed in Python, from no column of the same name
    assert not traced.upstream.get((predictions, "delay_probability"))
    drift = "model.nycflights.model_feature_drift"
    assert (predictions, "model_version") in traced.upstream[(drift, "model_version")]
