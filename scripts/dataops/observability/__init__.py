"""Observability: what the runs recorded, shown and sent.

Owns the observability report (``report``: one offline HTML file) and the alerts
(``alerts``: ``dataops alert``; ``alert_pipeline`` and ``alert_problems`` find what is new,
``alert_messages`` words and delivers it, ``alert_secrets`` masks the URLs' secrets).
May import: ``dataops.core``, ``dataops.ingest`` (the ingestion log), ``dataops.delivery``
(prod's places), ``dataops.catalog`` (the docs' assets, coverage) and ``dataops.ml`` (the
report's Models page), and what they import.
"""
