"""The glossary's rules of ``dataops check``: a public mart column, a metric or an ML feature
without a term fails, and so does a term naming a column, metric, model or owner that does not
exist; every term of the project resolves on its real manifest."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataops.catalog import glossary, glossary_site
from dataops.cli import main
from dataops.core.dbt import run_dbt
from dataops.core.project import Project
from dataops.ml import features, trainer

ROOT = Path(__file__).parents[2]
# What dbt parses: the project's files, without its data, warehouses and Python package.
PROJECT_FILES = (
    "dbt_project.yml",
    "profiles.yml",
    "selectors.yml",
    "dbt-bouncer.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "data_tests",
)
MART = "model.nycflights.mart_performance__airlines"


def _parse(root: Path, artifacts: Path) -> dict:
    outcome = run_dbt(Project(root), ["parse", "--no-partial-parse"], artifacts_dir=artifacts)
    assert outcome.success
    return json.loads((artifacts / "target" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project's own manifest (dbt parse, no warehouse)."""
    return _parse(ROOT, tmp_path_factory.mktemp("glossary-parse"))


def _with_block(manifest: dict, term: str, edit) -> dict:
    """A copy of ``manifest`` whose docs block ``term_<term>`` is ``edit(text)``."""
    changed = copy.deepcopy(manifest)
    doc = changed["docs"][f"doc.nycflights.{glossary.PREFIX}{term}"]
    doc["block_contents"] = edit(doc["block_contents"])
    return changed


def _field(text: str, name: str) -> str:
    found = re.search(rf"^- {name}: (.*)$", text, re.MULTILINE)
    assert found is not None, f"no {name} field"
    return found[1]


def test_every_term_resolves_on_the_real_manifest(manifest: dict) -> None:
    loaded = glossary.load(manifest)
    assert loaded.problems == []
    assert glossary.check(manifest) == []
    # the domain's words are there, each tied to something in the data
    for term in (
        "flight",
        "scheduled_departure",
        "on_time_arrival",
        "on_time_departure",
        "departure_delay",
        "arrival_delay",
        "cancelled_flight",
        "diverted_flight",
        "carrier",
        "tail_number",
        "route",
        "origin_weather",
        "delayed_flight",
        "quarantined_row",
    ):
        assert term in loaded.terms, term
        assert term in set(loaded.column_terms.values()) | set(loaded.metric_terms.values())
    # the on-time arrival: a column of the airlines mart and a metric; its complement the label
    assert loaded.column_terms[(MART, "on_time_arrival_rate")] == "on_time_arrival"
    rate = "metric.nycflights.on_time_arrival_rate"
    assert loaded.metric_terms[rate] == "on_time_arrival"
    label = (features.FEATURES_MODEL, features.LABEL)
    assert loaded.column_terms[label] == "delayed_flight"


def test_the_ml_roles_are_the_trainers_features(manifest: dict) -> None:
    columns = manifest["nodes"][features.FEATURES_MODEL]["columns"]
    roles = {name: glossary.ml_role(column) for name, column in columns.items()}
    assert {name for name, role in roles.items() if role == "feature"} == set(features.FEATURES)
    assert {name for name, role in roles.items() if role == "label"} == {features.LABEL}


def test_a_metric_without_a_term_is_named(manifest: dict) -> None:
    def drop(text: str) -> str:
        return text.replace(f"- Metrics: {_field(text, 'Metrics')}", "- Metrics: on_time_arrivals")

    problems = glossary.check(_with_block(manifest, "on_time_arrival", drop))
    assert [(p.rule, p.node) for p in problems] == [
        (glossary.MISSING, "metric.nycflights.on_time_arrival_rate")
    ]
    assert "metric on_time_arrival_rate has no glossary term" in problems[0].message
    assert glossary.GLOSSARY_FILE in problems[0].message


def test_an_ml_feature_without_a_term_is_named(manifest: dict) -> None:
    def drop(text: str) -> str:
        columns = _field(text, "Columns")
        kept = ", ".join(c for c in columns.split(", ") if c != "origin_wind_speed_mph")
        return text.replace(f"- Columns: {columns}", f"- Columns: {kept}")

    problems = glossary.check(_with_block(manifest, "origin_weather", drop))
    messages = {p.node: p.message for p in problems if p.rule == glossary.MISSING}
    assert (
        "ML feature origin_wind_speed_mph of ml_delay_features" in messages[features.FEATURES_MODEL]
    )
    # every public mart that holds the column is named, each once
    holders = {
        uid
        for uid, node in glossary.own_models(manifest).items()
        if glossary.zone(node) == "marts" and "origin_wind_speed_mph" in node["columns"]
    }
    assert set(messages) == holders


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("Columns", "on_time_arrival_ratio", "column on_time_arrival_ratio does not exist"),
        ("Columns", "fct_flights.on_time_arrivals", "column fct_flights.on_time_arrivals does"),
        ("Metrics", "on_time_arrival_ratio", "metric on_time_arrival_ratio does not exist"),
        ("Models", "mart_performance__carriers", "model mart_performance__carriers does not"),
        ("Owner", "operations", "owner 'operations' is not a group"),
    ],
)
def test_a_link_to_nothing_is_named(manifest: dict, field: str, value: str, expected: str) -> None:
    def add(text: str) -> str:
        if field == "Owner":
            return text.replace(f"- Owner: {_field(text, 'Owner')}", f"- Owner: {value}")
        if f"- {field}: " in text:
            return re.sub(rf"^(- {field}: .*)$", rf"\1, {value}", text, flags=re.MULTILINE)
        return text.rstrip() + f"\n- {field}: {value}\n"

    problems = glossary.check(_with_block(manifest, "on_time_arrival", add))
    assert [(p.rule, p.node) for p in problems] == [
        (glossary.BROKEN, "doc.nycflights.term_on_time_arrival")
    ]
    assert problems[0].message.startswith("term on_time_arrival: " + expected)
    assert problems[0].path == glossary.GLOSSARY_FILE


class Parsed:
    """The manifest, for Hypothesis to print by name, not whole, when an example fails."""

    def __init__(self, manifest: dict) -> None:
        self.manifest = manifest

    def __repr__(self) -> str:
        return "Parsed(the project's manifest)"


@pytest.fixture(scope="module")
def parsed(manifest: dict) -> Parsed:
    return Parsed(manifest)


@given(data=st.data())
def test_any_column_dropped_from_a_term_is_reported_where_public(
    parsed: Parsed, data: st.DataObject
) -> None:
    """Drop any column of any term: exactly the public mart columns it named lose their term."""
    manifest = parsed.manifest
    loaded = glossary.load(manifest)
    term = data.draw(st.sampled_from(sorted(t.id for t in loaded.terms.values() if t.columns)))
    dropped = data.draw(st.sampled_from(loaded.terms[term].columns))

    def drop(text: str) -> str:
        columns = _field(text, "Columns")
        kept = ", ".join(c for c in columns.split(", ") if c != dropped)
        return text.replace(f"- Columns: {columns}", f"- Columns: {kept}" if kept else "")

    problems = glossary.check(_with_block(manifest, term, drop))
    public = {
        uid
        for uid, node in glossary.own_models(manifest).items()
        if glossary.zone(node) == "marts" and node["config"].get("access") == "public"
    }
    named = {(uid, column) for (uid, column), owner in loaded.column_terms.items() if owner == term}
    model_name, _, column_name = dropped.rpartition(".")
    expected = {
        (uid, column)
        for uid, column in named
        if uid in public
        and column == column_name
        and (not model_name or manifest["nodes"][uid]["name"] == model_name)
    }
    assert {(p.node, p.message.split()[2]) for p in problems} == expected
    assert all(p.rule == glossary.MISSING for p in problems)


def _copy_project(folder: Path) -> Path:
    folder.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copyfile(source, folder / name)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "printed"),
    [
        (
            "- Columns: on_time_departures\n",
            "",
            "[glossary-missing-term] model.nycflights.mart_performance__airports: public column"
            " on_time_departures of mart_performance__airports has no glossary term: add",
        ),
        (
            "- Columns: on_time_departures\n",
            "- Columns: on_time_departures, on_time_departure_rate\n",
            "[glossary-broken-link] doc.nycflights.term_on_time_departure: term"
            " on_time_departure: column on_time_departure_rate does not exist",
        ),
    ],
    ids=["missing-term", "broken-link"],
)
def test_dataops_check_fails_on_a_project_copy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    printed: str,
) -> None:
    root = _copy_project(tmp_path / "project")
    path = root / glossary.GLOSSARY_FILE
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setenv("DATAOPS_PROJECT_DIR", str(root))
    monkeypatch.setenv("DATAOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATAOPS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.chdir(root)
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if "[glossary-" in line]
    assert any(printed in line for line in lines), lines
    assert "convention violations" in captured.err


def test_the_trainer_reads_the_terms_dbt_parses(manifest: dict) -> None:
    """``dataops train`` reads the glossary file without dbt: the same term for every feature
    and the label as the manifest's."""
    logged = trainer._glossary_terms(Project(ROOT))
    loaded = glossary.load(manifest)
    assert set(logged) == {*features.FEATURES, features.LABEL}
    for column, term in logged.items():
        expected = loaded.terms[loaded.column_terms[(features.FEATURES_MODEL, column)]]
        assert (term["term"], term["name"], term["definition"]) == (
            expected.id,
            expected.name,
            expected.definition,
        ), column


def test_the_semantic_layer_stands_for_its_terms(manifest: dict) -> None:
    """A measure stands for the term of the metric of its name; a dimension for its column's."""
    loaded = glossary.load(manifest)
    semantic = glossary_site.semantic_terms(manifest, loaded)
    flights = manifest["semantic_models"]["semantic_model.nycflights.flights"]
    metric_term = {manifest["metrics"][uid]["name"]: t for uid, t in loaded.metric_terms.items()}
    for measure in flights["measures"]:
        assert f"flights.{measure['name']} (measure)" in semantic[metric_term[measure["name"]]]
    fct = flights["depends_on"]["nodes"][0]
    for dimension in flights["dimensions"]:
        term = loaded.column_terms[(fct, dimension["name"])]
        assert f"flights.{dimension['name']} (dimension)" in semantic[term]
    assert "flights.on_time_arrivals (measure)" in semantic["on_time_arrival"]
