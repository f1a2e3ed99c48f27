"""Ingest, the ingestion log and verify (dataops.ingest)."""
