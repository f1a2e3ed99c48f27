"""The consumers of the exploitation zone: the on-time dashboard and the notebooks.

Owns what they read and how: ``dashboard`` copies the performance marts of a target
(prod by default) into memory, opening its DuckDB file read-only for the length of one
read, and says how far the data reaches and when prod was published; ``serve`` is the
dashboard's web server (the marimo app of ``dashboards/`` and the observability report,
on 127.0.0.1); ``notebooks`` connects a notebook of ``notebooks/`` to a sandbox and
opens it. None of them writes prod.

May import the core (``dataops.core``) and the delivery modules that say where prod, its
publish record and the sandboxes are (``dataops.delivery.publish``,
``dataops.delivery.sandbox``); marimo, uvicorn and starlette only inside ``serve`` and
``notebooks`` (the ``consumers`` extra). Printing stays in ``dataops.cli.consumers``.
"""
