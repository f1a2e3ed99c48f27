"""The Dagster definitions (dataops.orchestration)."""
