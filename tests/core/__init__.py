"""The build and the pipeline end to end (dataops.core)."""
