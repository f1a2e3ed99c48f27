"""Publish, sandboxes, the prod store, slim CI and the conventions check (dataops.delivery)."""
