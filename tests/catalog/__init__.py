"""The docs, column lineage, impact and coverage (dataops.catalog)."""
