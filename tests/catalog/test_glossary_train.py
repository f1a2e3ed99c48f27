"""The MLflow run of ``dataops train`` names the glossary term of each feature and of the
label, the same terms dbt's manifest gives them."""

from __future__ import annotations

import json

import pytest

from dataops.catalog import glossary
from dataops.core.dbt import run_dbt
from dataops.ml import features, registry, trainer

pytestmark = pytest.mark.e2e

MODEL_NAME = "arrival_delay"


def test_the_run_logs_the_terms_of_its_features_and_label(trained_weeks: dict, tmp_path) -> None:
    project = trained_weeks["project"]
    client = registry.client(project.warehouse_dir)
    run_id = client.get_model_version(MODEL_NAME, "1").run_id
    logged = registry.load_json_artifact(client, run_id, trainer.GLOSSARY_ARTIFACT)
    assert set(logged) == {*features.FEATURES, features.LABEL}
    assert logged[features.LABEL]["term"] == "delayed_flight"
    # the terms dbt parses: the same term, name and definition for every column
    assert run_dbt(project, ["parse", "--no-partial-parse"], artifacts_dir=tmp_path).success
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    loaded = glossary.load(manifest)
    for column, term in logged.items():
        expected = loaded.terms[loaded.column_terms[(features.FEATURES_MODEL, column)]]
        assert term == {
            "term": expected.id,
            "name": expected.name,
            "definition": expected.definition,
        }, column
