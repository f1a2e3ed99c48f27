"""DataOps tooling for the NYC flights dbt project: feed, ingest, build."""

__version__ = "0.1.0"
