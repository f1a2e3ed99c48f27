"""Ingest: the inbox into the persistent landing zone, and the landed files kept honest.

Owns the inbox and its settle time (``inbox``), the checks of one file (``file_checks``),
landing and rejecting it (``landing``), the ingestion log (``ingestion_log``), the ingest
run (``run``: ``dataops ingest``), ``dataops verify`` (``verify``, ``verify_owners``) and
the re-hash of the files a build is about to read (``inputs``, passed to the build).
May import: ``dataops.core`` and ``dataops.data`` (the sources' definitions).
"""
