"""The dashboard's web server: the marimo app, in app mode, and the report, on 127.0.0.1.

``dashboards/on_time_performance.py`` is served at ``/`` (marimo's ASGI app: the
code stays on the server, the page only shows its outputs), prod's observability
report (``dataops report --target prod``: ``target/report_prod.html``) at
``/report``, the docs site (``dataops docs``: ``target/docs.html``, where the report's
glossary terms link) at ``/docs.html``, and plotly.js from the installed plotly at
``/static/plotly.min.js``.
Offline: marimo's update check and the telemetry of the libraries it loads are
switched off, and its frontend is served from the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

from dataops.catalog.docs import DOCS_FILE
from dataops.core.project import Project
from dataops.delivery.publish import PROD

HOST = "127.0.0.1"
PORT = 2718
APP = Path("dashboards") / "on_time_performance.py"
# Nothing leaves the machine: no update check, no usage statistics.
OFFLINE_ENVIRONMENT = {
    "MARIMO_SKIP_UPDATE_CHECK": "1",
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}
REPORT_MISSING = """<!doctype html><html><head><meta charset="utf-8">
<title>No report yet</title></head><body style="font-family: sans-serif">
<h1>No observability report of {target} yet</h1>
<p>Run <code>dataops report --target {target}</code>, then reload this page.</p>
<p><a href="/">Back to the dashboard</a></p></body></html>"""
DOCS_MISSING = """<!doctype html><html><head><meta charset="utf-8">
<title>No docs site yet</title></head><body style="font-family: sans-serif">
<h1>No docs site yet</h1>
<p>Run <code>dataops docs</code>, then reload this page.</p>
<p><a href="/report">Back to the report</a></p></body></html>"""


def app_path(project: Project) -> Path:
    return project.root / APP


def report_path(project: Project, target: str = PROD) -> Path:
    """Where ``dataops report --target <target>`` writes by default."""
    return project.root / "target" / f"report_{target}.html"


def url(host: str = HOST, port: int = PORT) -> str:
    return f"http://{host}:{port}/"


def application(project: Project, target: str = PROD):
    """The ASGI application: the report's route, then the marimo app at the root."""
    import marimo
    import plotly
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, Response
    from starlette.routing import Mount, Route

    os.environ.update(OFFLINE_ENVIRONMENT)
    os.environ["DATAOPS_DASHBOARD_TARGET"] = target
    report = report_path(project, target)
    docs = project.root / "target" / DOCS_FILE
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

    async def serve_report(_request: Request) -> Response:
        if report.is_file():
            return FileResponse(report, media_type="text/html")
        return HTMLResponse(REPORT_MISSING.format(target=target), status_code=404)

    async def serve_docs(_request: Request) -> Response:
        if docs.is_file():
            return FileResponse(docs, media_type="text/html")
        return HTMLResponse(DOCS_MISSING, status_code=404)

    async def serve_plotly(_request: Request) -> Response:
        # cached: every chart's frame loads it, and it changes only with plotly's version
        return FileResponse(
            plotly_js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    dashboard = marimo.create_asgi_app(quiet=True).with_app(path="", root=str(app_path(project)))
    return Starlette(
        routes=[
            Route("/report", serve_report),
            Route("/docs.html", serve_docs),
            Route("/static/plotly.min.js", serve_plotly),
            Mount("/", app=dashboard.build()),
        ],
    )


def serve(project: Project, host: str = HOST, port: int = PORT, target: str = PROD) -> None:
    """Serve until interrupted (uvicorn, one process)."""
    import uvicorn

    uvicorn.run(application(project, target), host=host, port=port, log_level="warning")
