"""The docs site's Glossary in chromium: every term with its definition, synonyms, owner and
uses; a column one click from its lineage; a model's page naming each column's term."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import BrowserContext

from dataops.catalog import glossary, glossary_site
from dataops.observability import report
from tests.observability.test_browser import Watched, chromium

pytestmark = pytest.mark.e2e

MART = "model.nycflights.mart_performance__airlines"
FCT = "model.nycflights.fct_flights"


@pytest.fixture(scope="module")
def context() -> Iterator[BrowserContext]:
    with chromium({"width": 1400, "height": 1000}) as context:
        yield context


@pytest.fixture
def browser(context: BrowserContext) -> Iterator[Watched]:
    watched = Watched(context)
    yield watched
    context.unroute("**/*")
    watched.page.close()


@pytest.fixture(scope="module")
def loaded(artefacts: tuple[dict, dict]) -> glossary.Glossary:
    return glossary.load(artefacts[0])


def _open_glossary(browser: Watched, built_days: dict, hash_: str = "") -> None:
    browser.page.goto(built_days["docs"].path.as_uri() + hash_)
    browser.page.wait_for_selector("#glossary-open")
    browser.page.click("#glossary-open")
    browser.page.wait_for_selector("#glossary .gl-term")


def test_the_glossary_page_shows_every_term(
    browser: Watched, built_days: dict, artefacts: tuple[dict, dict], loaded: glossary.Glossary
) -> None:
    _open_glossary(browser, built_days)
    page = browser.page
    shown = page.eval_on_selector_all(
        "#glossary .gl-term", "nodes => nodes.map(n => n.dataset.term)"
    )
    assert sorted(shown) == sorted(loaded.terms)
    uses = glossary_site.uses(artefacts[0], loaded)
    for term in loaded.terms.values():
        section = page.locator(f"#gl-term-{term.id}")
        assert section.locator("h3").inner_text() == term.name
        assert section.locator(".gl-definition").inner_text() == term.definition
        text = section.locator("dl").inner_text()
        assert term.owner in text
        for synonym in term.synonyms:
            assert synonym in text
        for kind in ("metrics", "semantic", "saved_queries", "exposures"):
            for name in uses[term.id][kind]:
                assert name in text
        keys = section.locator(".gl-column").evaluate_all("nodes => nodes.map(n => n.dataset.key)")
        expected = {f"{uid}|{column}" for (uid, column), owner in loaded.column_terms.items()}
        assert set(keys) == {
            key for key in expected if loaded.column_terms[tuple(key.split("|"))] == term.id
        }
    on_time = page.locator("#gl-term-on_time_arrival").inner_text()
    assert "on_time_arrival_rate" in on_time and "on_time_performance_dashboard" in on_time
    label = page.locator("#gl-term-delayed_flight").inner_text()
    assert "label" in label and "ml_delay_train" in label and "ml_delay_validation" in label
    # a synonym finds its term, and only the terms it belongs to
    page.fill("#glossary-search", "OTP")
    visible = page.eval_on_selector_all(
        "#glossary .gl-term", "nodes => nodes.filter(n => !n.hidden).map(n => n.dataset.term)"
    )
    assert visible == [t.id for t in loaded.terms.values() if "OTP" in t.synonyms]
    assert browser.external == []
    assert browser.errors == []


def test_a_column_of_a_term_opens_its_lineage(browser: Watched, built_days: dict) -> None:
    _open_glossary(browser, built_days)
    page = browser.page
    page.click(f"#gl-term-on_time_arrival .gl-column[data-key='{MART}|on_time_arrival_rate']")
    page.wait_for_selector("#CL-panel:not([hidden])")
    assert page.locator("#glossary").is_hidden()
    assert page.input_value("#CL-model") == MART
    assert page.inner_text("#CL-title") == "mart_performance__airlines.on_time_arrival_rate"
    assert page.inner_text("#CL-columns .cl-active") == "on_time_arrival_rate"
    assert browser.errors == []


def test_a_models_page_names_the_term_of_each_column(
    browser: Watched, built_days: dict, loaded: glossary.Glossary
) -> None:
    page = browser.page
    for model in (MART, FCT):
        # one model after the other: dbt docs reuses the column rows of the page
        if model == MART:
            page.goto(f"{built_days['docs'].path.as_uri()}#!/model/{model}")
        else:
            page.evaluate(f"window.location.hash = '#!/model/{model}'")
        page.wait_for_selector(f".gl-column-term[data-key^='{model}|']")
        rows = page.eval_on_selector_all(
            "tr.column-row",
            """rows => rows.map(r => [r.querySelector('td span').textContent.trim(),
                (r.querySelector('.gl-column-term') || {}).textContent || ''])""",
        )
        assert rows
        for column, badge in rows:
            term = loaded.column_terms.get((model, column))
            assert badge == (f"term: {loaded.terms[term].name}" if term else ""), column
    # the badge opens the Glossary on its term
    page.click(f".gl-column-term[data-key='{FCT}|is_arrival_delayed']")
    page.wait_for_selector("#glossary:not([hidden])")
    assert page.locator("#gl-term-delayed_flight").is_visible()
    assert browser.external == []
    assert browser.errors == []


def test_the_report_names_each_columns_term_one_click_from_the_glossary(
    browser: Watched,
    built_days: dict,
    artefacts: tuple[dict, dict],
    loaded: glossary.Glossary,
    tmp_path: Path,
) -> None:
    """The report's Profiles page names the chosen column's term, and the term of the same
    column in every zone, each a link that opens the docs site's Glossary on it."""
    output = tmp_path / "report.html"
    report.generate(built_days["warehouse"], built_days["target_dir"] / "manifest.json", output)
    page = browser.page
    page.goto(output.as_uri() + "#profiles")
    page.wait_for_selector("#profiles-now tr")
    page.select_option("#profiles-relation", "fct_flights")
    page.select_option("#profiles-column", "is_arrival_delayed")
    term = loaded.terms[loaded.column_terms[(FCT, "is_arrival_delayed")]]
    link = page.locator("#profiles-term a.term")
    assert link.inner_text() == term.name
    assert term.definition in page.inner_text("#profiles-term")
    href = link.get_attribute("href")
    assert href is not None and href.endswith(f"docs.html?term={term.id}")
    # the same column in every zone: each row's term is that model's own
    uids = {
        node["name"]: uid
        for uid, node in artefacts[0]["nodes"].items()
        if node["resource_type"] in ("model", "snapshot", "seed")
    }
    rows = page.locator("#profiles-zones tbody tr").all()
    assert len(rows) >= 2
    for row in rows:
        cells = row.locator("td")
        owner = loaded.column_terms.get((uids[cells.nth(1).inner_text()], "is_arrival_delayed"))
        assert cells.nth(2).inner_text() == (loaded.terms[owner].name if owner else "")
    # a column without a term says so (the landing zone keeps the sources' own names)
    page.select_option("#profiles-relation", "ldg_flights__flights")
    options = page.eval_on_selector_all("#profiles-column option", "o => o.map(x => x.value)")
    landing = uids["ldg_flights__flights"]
    page.select_option(
        "#profiles-column", next(c for c in options if (landing, c) not in loaded.column_terms)
    )
    assert page.locator("#profiles-term a.term").count() == 0
    assert "No glossary term" in page.inner_text("#profiles-term")
    page.goto(urljoin(output.as_uri(), href))
    page.wait_for_selector("#glossary:not([hidden])")
    assert page.locator(f"#gl-term-{term.id}").is_visible()
    assert browser.external == [] and browser.errors == []
