"""The observability report and the alerts (dataops.observability)."""
