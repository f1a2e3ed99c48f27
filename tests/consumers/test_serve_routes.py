"""The dashboard server's own routes: the report, and the docs site its glossary links open."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.testclient import TestClient

from dataops.consumers import serve
from dataops.core.project import Project

ROOT = Path(__file__).parents[2]


def test_the_report_and_the_docs_site_or_what_to_run_for_them(tmp_path: Path) -> None:
    (tmp_path / serve.APP).parent.mkdir(parents=True)
    shutil.copy(ROOT / serve.APP, tmp_path / serve.APP)
    project = Project(root=tmp_path)
    with TestClient(serve.application(project)) as client:
        for path, command in (
            ("/report", "dataops report --target prod"),
            ("/docs.html", "dataops docs"),
        ):
            missing = client.get(path)
            assert missing.status_code == 404 and f"<code>{command}</code>" in missing.text
        (tmp_path / "target").mkdir()
        (tmp_path / "target" / "docs.html").write_text("<html>the docs site</html>")
        serve.report_path(project).write_text("<html>the report</html>")
        assert client.get("/docs.html").text == "<html>the docs site</html>"
        assert client.get("/report").text == "<html>the report</html>"
