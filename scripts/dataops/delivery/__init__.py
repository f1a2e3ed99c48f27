"""Delivery: getting tested models to their users, and the environments they are built in.

Owns write-audit-publish into prod and rollback (``publish``), sandboxes (``sandbox``) and
the dbt plugin that keeps a sandbox target in its own file (``sandbox_guard``), prod's store
(``store``, ``store_backends``), slim CI (``ci``) and the project's conventions
(``conventions``: ``dataops check``).
May import: ``dataops.core`` and ``dataops.ingest`` (publish ingests into the candidate and
re-hashes what it builds from), and what they import.
"""
