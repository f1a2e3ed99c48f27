"""The docs site as one offline HTML file, with column-level lineage, and its coverage check.

``dbt docs generate --static`` writes ``static_index.html`` with the manifest and
catalog inlined. It is fixed for file:// (two attributes that made the browser
request files that do not exist, see ``REPLACEMENTS``) and a column lineage
panel (computed here with sqlglot, see ``lineage.py``; what uses each column,
the metrics, saved queries and exposures included, see ``impact.py``) is
inlined with its script and style, then the Glossary (``glossary_site.py``). The
result needs no server and makes no request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from dataops.catalog import coverage, glossary_site, impact, lineage
from dataops.core.dbt import run_dbt
from dataops.core.errors import DataOpsError
from dataops.core.files import write_atomic
from dataops.core.project import Project

log = logging.getLogger(__name__)

# The report's and the docs' scripts and styles, package data of dataops (pyproject.toml)
ASSETS = Path(__file__).parent.parent / "assets"
DOCS_FILE = "docs.html"
# Fixes of dbt's static page for file://: Angular binds the icons' href after load (as a
# plain attribute the browser fetches the literal template first), and the favicon link
# is an unexpanded webpack template; an empty data: icon stands in for it.
REPLACEMENTS = (
    ('<use xlink:href="{{', '<use ng-attr-xlink:href="{{'),
    ("href=\"${require('./assets/favicons/favicon.ico')}\"", 'href="data:,"'),
)


@dataclass(frozen=True)
class DocsOutcome:
    path: Path
    coverage: coverage.Coverage
    traced_columns: int
    unparsed: dict[str, str]


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def inline_script(code: str) -> str:
    """A ``<script>`` element holding ``code`` (``</`` escaped so it cannot close early)."""
    return "<script>" + code.replace("</", "<\\/") + "</script>"


def json_script(name: str, value: object) -> str:
    return inline_script(f"window.{name} = {json.dumps(value, separators=(',', ':'))};")


def _zone(node: dict) -> str:
    if node["resource_type"] == "source":
        return "source"
    if node["resource_type"] == "snapshot":
        return "snapshots"
    return node["fqn"][1] if len(node["fqn"]) > 2 else node["resource_type"]


def lineage_payload(manifest: dict, traced: lineage.ColumnLineage) -> dict:
    """What the column lineage panel reads: relations, columns, direct upstream columns, and
    the metrics, saved queries and exposures that use each column (``impact.py``)."""
    relations = {}
    for unique_id in traced.columns:
        node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
        name = node["name"]
        if node["resource_type"] == "source":
            name = f"{node['source_name']} files"
        relations[unique_id] = {"name": name, "zone": _zone(node)}
    upstream = {
        f"{uid}|{column}": sorted(f"{p_uid}|{p_column}" for p_uid, p_column in parents)
        for (uid, column), parents in traced.upstream.items()
        if parents
    }
    used = impact.compute(manifest, traced)
    return {
        "relations": relations,
        "columns": traced.columns,
        "upstream": upstream,
        "unparsed": traced.unparsed,
        "consumers": used.consumers,
        "uses": {f"{uid}|{column}": sorted(ids) for (uid, column), ids in used.uses.items() if ids},
        "feeds": {uid: sorted(ids) for uid, ids in used.feeds.items() if ids},
    }


def render(static_html: str, payload: dict, extra: str = "") -> str:
    """The static docs page with the unbound attributes fixed, the lineage panel and ``extra``
    (the Glossary, ``glossary_site.html``) inlined."""
    html = static_html
    for old, new in REPLACEMENTS:
        html = html.replace(old, new)
    panel = (
        "<style>"
        + asset("dag.css")
        + asset("column_lineage.css")
        + "</style>"
        + json_script("COLUMN_LINEAGE", payload)
        + inline_script(asset("dag.js"))
        + inline_script(asset("column_lineage.js"))
        + extra
    )
    marker = "</body>"
    if marker not in html:
        raise DataOpsError("dbt's static docs page has no </body>", "check the dbt-core version")
    head, tail = html.rsplit(marker, 1)
    return head + panel + marker + tail


def load_json(path: Path) -> dict:
    if not path.is_file():
        raise DataOpsError(f"{path} is missing", "run dataops docs (dbt docs generate) first")
    return json.loads(path.read_text(encoding="utf-8"))


def generate(project: Project, target: str | None, target_dir: Path | None = None) -> DocsOutcome:
    """dbt docs generate --static, then the lineage panel; returns where the file is."""
    artifacts = target_dir.parent if target_dir is not None else None
    outcome = run_dbt(project, ["docs", "generate", "--static"], target, artifacts)
    if not outcome.success:
        raise DataOpsError("dbt docs generate failed", "read the dbt output above")
    target_path = target_dir or project.root / "target"
    manifest = load_json(target_path / "manifest.json")
    catalog = load_json(target_path / "catalog.json")
    traced = lineage.compute(manifest, catalog)
    static_html = (target_path / "static_index.html").read_text(encoding="utf-8")
    path = target_path / DOCS_FILE
    page = render(static_html, lineage_payload(manifest, traced), glossary_site.html(manifest))
    write_atomic(path, page.encode("utf-8"))
    return DocsOutcome(
        path=path,
        coverage=coverage.check(manifest, catalog),
        traced_columns=sum(1 for parents in traced.upstream.values() if parents),
        unparsed=traced.unparsed,
    )


def require_full_coverage(result: coverage.Coverage) -> None:
    """Raise when anything documented in the docs site lacks a description."""
    if result.missing:
        listed = "\n  ".join(result.missing[:40])
        more = f"\n  ... and {len(result.missing) - 40} more" if len(result.missing) > 40 else ""
        raise DataOpsError(
            f"description coverage {result.percent:.1f}% ({result.described}/{result.total});"
            f" undescribed:\n  {listed}{more}",
            "describe each of them in the YAML beside it (models, sources, snapshots, macros)",
        )
